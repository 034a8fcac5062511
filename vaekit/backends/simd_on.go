//go:build amd64 && goexperiment.simd

package backends

import "os"

// SIMDStatus says whether the pure-Go backend's SIMD matrix product is compiled in and enabled.
func SIMDStatus() string {
	if os.Getenv("GOMLX_SIMD_AVX512") == "0" && os.Getenv("GOMLX_SIMD_AVX2") == "0" {
		return "off (disabled by GOMLX_SIMD_AVX512=0 and GOMLX_SIMD_AVX2=0)"
	}
	return "on (built with GOEXPERIMENT=simd; used where the processor has AVX2 or AVX-512)"
}
