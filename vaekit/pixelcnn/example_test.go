package pixelcnn_test

import (
	"fmt"

	"github.com/vaekit/vaekit/vaekit/pixelcnn"
)

// The mask of the first layer of a PixelCNN sees only the positions before the centre.
func ExampleKernelMask() {
	for _, row := range pixelcnn.KernelMask(5, pixelcnn.MaskA) {
		fmt.Println(row)
	}
	// Output:
	// [1 1 1 1 1]
	// [1 1 1 1 1]
	// [1 1 0 0 0]
	// [0 0 0 0 0]
	// [0 0 0 0 0]
}
