package pixelcnn_test

import (
	"fmt"

	"github.com/vaekit/vaekit/vaekit/pixelcnn"
)

// The masks of a 5x5 PixelCNN kernel: type A (the first layer) hides the centre, type B (the
// later layers) shows it; neither sees a position below or to the right, so each code is
// predicted from those above and to its left only.
func ExampleKernelMask() {
	for _, kind := range []string{pixelcnn.MaskA, pixelcnn.MaskB} {
		fmt.Println("mask", kind)
		for _, row := range pixelcnn.KernelMask(5, kind) {
			fmt.Println(row)
		}
	}
	// Output:
	// mask A
	// [1 1 1 1 1]
	// [1 1 1 1 1]
	// [1 1 0 0 0]
	// [0 0 0 0 0]
	// [0 0 0 0 0]
	// mask B
	// [1 1 1 1 1]
	// [1 1 1 1 1]
	// [1 1 1 0 0]
	// [0 0 0 0 0]
	// [0 0 0 0 0]
}
