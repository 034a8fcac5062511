package experiments

import (
	"testing"

	"github.com/vaekit/vaekit/vaekit"
)

// What each family can do decides its metrics and figures (the evaluation tests capabilities,
// never a concrete type or name): the table is what the library's families declare by their
// methods. A family added later states its own in its package's tests.
func TestFamilyCapabilities(t *testing.T) {
	type caps struct{ sampler, likelihood, quantizer, classifier, encoder, reconstructor, documented bool }
	want := map[string]caps{
		"vae":        {sampler: true, likelihood: true, encoder: true, reconstructor: true, documented: true},
		"cvae":       {sampler: true, likelihood: true, encoder: true, reconstructor: true, documented: true},
		"ae":         {encoder: true, reconstructor: true, documented: true},
		"gan":        {sampler: true, documented: true},
		"vqvae":      {quantizer: true, reconstructor: true, documented: true},
		"classifier": {classifier: true, documented: true},
	}
	for name, w := range want {
		m, err := vaekit.FamilyByName(name)
		if err != nil {
			t.Error(err)
			continue
		}
		_, sampler := m.(vaekit.Sampler)
		_, likelihood := m.(vaekit.Likelihood)
		_, quantizer := m.(vaekit.Quantizer)
		_, classifier := m.(vaekit.Classifier)
		_, encoder := m.(vaekit.Encoder)
		_, reconstructor := m.(vaekit.Reconstructor)
		_, documented := m.(vaekit.Documented)
		if got := (caps{sampler, likelihood, quantizer, classifier, encoder, reconstructor, documented}); got != w {
			t.Errorf("%s: capabilities %+v, want %+v", name, got, w)
		}
	}
}
