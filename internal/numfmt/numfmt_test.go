package numfmt

import "testing"

func TestThousands(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {1093, "1,093"}, {60000, "60,000"}, {1082680, "1,082,680"}, {-60000, "-60,000"}, {-999, "-999"}} {
		if got := Thousands(c.n); got != c.want {
			t.Errorf("Thousands(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
