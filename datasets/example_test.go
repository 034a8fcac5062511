package datasets_test

import (
	"fmt"
	"strings"

	"github.com/vaekit/vaekit/datasets"
)

func ExampleParseName() {
	name, err := datasets.ParseName("fashion-mnist")
	fmt.Println(name, err)
	_, err = datasets.ParseName("cifar10")
	fmt.Println(err != nil && strings.HasPrefix(err.Error(), `unknown data set "cifar10": expected one of [fashion-mnist `))
	// Output:
	// fashion-mnist <nil>
	// true
}

// A data set's descriptor says what is known before its files are read.
func ExampleDescribe() {
	d, err := datasets.Describe(datasets.FashionMNIST)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.ImageShape(), d.Images[datasets.Train], d.Images[datasets.Test], d.ClassNames[0])
	// Output:
	// [28 28 1] 60000 10000 T-shirt/top
}
