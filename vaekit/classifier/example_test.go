package classifier_test

import (
	"fmt"

	"github.com/vaekit/vaekit/internal/briefly"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/backends"
	"github.com/vaekit/vaekit/vaekit/classifier"
)

// The classifier that judges samples: trained briefly on four classes of squares, it tells
// them apart.
func Example() {
	store, _, test, err := briefly.Train(classifier.Model{}, map[string]any{vaekit.ParamConvFilters: []int{8, 16}, classifier.ParamHidden: 32}, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	predicted, err := classifier.Predict(backends.Go(), store, test, 16)
	if err != nil {
		fmt.Println(err)
		return
	}
	right := 0
	for i, p := range predicted {
		if p == test.Labels[i] {
			right++
		}
	}
	fmt.Println("predictions:", len(predicted))
	fmt.Println("accuracy above 0.9:", float64(right)/float64(len(predicted)) > 0.9)
	// Output:
	// predictions: 64
	// accuracy above 0.9: true
}
