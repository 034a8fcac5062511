package vqvae_test

import (
	"fmt"

	"github.com/vaekit/vaekit/vaekit/vqvae"
)

// Perplexity is the number of codes in use in effect: all four equally, one alone.
func ExamplePerplexity() {
	fmt.Printf("%.2f %.2f\n", vqvae.Perplexity([]int{5, 5, 5, 5}), vqvae.Perplexity([]int{0, 20, 0, 0}))
	fmt.Println(vqvae.InUse([]int{0, 20, 0, 0}))
	// Output:
	// 4.00 1.00
	// 0.25
}
