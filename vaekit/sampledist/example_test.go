package sampledist_test

import (
	"fmt"

	"github.com/vaekit/vaekit/vaekit/sampledist"
)

// Features of five data images and of a generator's three samples (in practice: the judge
// classifier's penultimate-layer features of thousands of images). The samples sit on the data
// but cover only one end of it: precision 1, recall 1/5; the Fréchet distance is
// 1.8^2 + 0.04 + 2.5 - 2 sqrt(0.04 * 2.5) = 5.15 (means 0.2 and 2, variances 0.04 and 2.5).
func Example() {
	data := sampledist.Features{Rows: [][]float64{{0, 0}, {1, 0}, {2, 0}, {3, 0}, {4, 0}}}
	samples := sampledist.Features{Rows: [][]float64{{0, 0}, {0.2, 0}, {0.4, 0}}}
	precision, recall, _ := sampledist.PrecisionRecall(data, samples, 1)
	fd, _ := sampledist.Frechet(samples, data)
	fmt.Printf("precision %.2f, recall %.2f, Fréchet distance %.2f\n", precision, recall, fd)
	// Output: precision 1.00, recall 0.20, Fréchet distance 5.15
}
