package vaekit

import (
	"strings"
	"testing"
)

func TestNewBackendChoice(t *testing.T) {
	tests := []struct {
		env      string
		wantName string
		wantErr  string
	}{
		{"go", "Go Backend", ""},
		{"go:ops_sequential", "Go Backend", ""},
		{"bogus", "", `GOMLX_BACKEND="bogus": can't find backend "bogus"`},
		{"go:no_such_option", "", `unknown configuration option "no_such_option"`},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv(BackendEnv, tt.env)
			b, desc, err := NewBackend()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewBackend() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.Name() != tt.wantName || !strings.Contains(desc, "SIMD matmul") {
				t.Errorf("NewBackend() = %q, %q", b.Name(), desc)
			}
		})
	}
}

func TestGoBackendConfigAvoidsTheWorkerPoolDeadlock(t *testing.T) {
	tests := map[string]string{
		"":                 "parallelism=-1",
		"ops_sequential":   "ops_sequential,parallelism=-1",
		"parallelism=8":    "parallelism=8",
		"dependency_order": "dependency_order,parallelism=-1",
	}
	for in, want := range tests {
		if got := GoBackendConfig(in); got != want {
			t.Errorf("GoBackendConfig(%q) = %q, want %q", in, got, want)
		}
	}
}
