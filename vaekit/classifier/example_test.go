package classifier_test

import (
	"fmt"

	"github.com/vaekit/vaekit/vaekit/classifier"
)

// Two samples were asked of each of two classes; the classifier put three in the class asked for.
func ExampleScore() {
	f, err := classifier.Score([]int32{0, 1, 1, 1}, []int32{0, 0, 1, 1}, 2)
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Overall, f.PerClass)
	// Output: 0.75 [0.5 1]
}
