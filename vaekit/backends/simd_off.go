//go:build !(amd64 && goexperiment.simd)

package backends

// SIMDStatus says whether the pure-Go backend's SIMD matrix product is compiled in and enabled.
func SIMDStatus() string {
	return "off (build with GOEXPERIMENT=simd on amd64 for about 7x faster training)"
}
