package datasets_test

import (
	"fmt"

	"github.com/vaekit/vaekit/datasets"
)

func ExampleParseName() {
	name, err := datasets.ParseName("fashion-mnist")
	fmt.Println(name, err, datasets.ClassNames[name][0])
	_, err = datasets.ParseName("cifar10")
	fmt.Println(err)
	// Output:
	// fashion-mnist <nil> T-shirt/top
	// unknown data set "cifar10": expected one of [mnist fashion-mnist]
}
