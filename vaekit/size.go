package vaekit

import "github.com/vaekit/vaekit/vaekit/paramtable"

// Sized models count their weights before any is made: Size returns the trainable values of
// the model a family would build from the checked parameters p for images of the given shape
// [height, width, channels], and the values of the activations one image flows through, so
// that a run the machine cannot hold is refused before any work (an oversized latent or
// codebook otherwise fails inside the backend, or runs until the system kills it).
type Sized interface {
	Size(p paramtable.Values, family string, imageShape []int) Size
}

// Size counts a model's values (float32 each).
type Size struct {
	// Weights are the trainable values.
	Weights int64
	// Activations are the values the layers output for one image.
	Activations int64
}

// Add returns the sum of two sizes.
func (s Size) Add(o Size) Size {
	return Size{Weights: s.Weights + o.Weights, Activations: s.Activations + o.Activations}
}

// Bytes is the memory a training step needs, roughly: every weight with its gradient and the
// optimizer's two moments (Adam), and the activations of a batch kept for the backward pass,
// twice over for the gradients flowing back.
func (s Size) Bytes(batch int) int64 {
	return 4 * (4*s.Weights + 2*int64(batch)*s.Activations)
}

// DenseSize is the size of a dense layer with bias from in to out values.
func DenseSize(in, out int) Size {
	return Size{Weights: int64(in)*int64(out) + int64(out), Activations: int64(out)}
}

// conv is the size of a k x k convolution (or transposed one) with bias from cin to cout
// channels, over an output of h x w, with the BatchNorm's scale and offset when norm is set.
func conv(k, cin, cout, h, w int, norm bool) Size {
	s := Size{Weights: int64(k*k*cin)*int64(cout) + int64(cout), Activations: int64(h) * int64(w) * int64(cout)}
	if norm {
		s.Weights += 2 * int64(cout)
	}
	return s
}

// ConvSize is the size of a k x k convolution (or transposed one) with bias from cin to cout
// channels over an output of h x w.
func ConvSize(k, cin, cout, h, w int) Size { return conv(k, cin, cout, h, w, false) }

// ConvStackSize is the size of stride-2 3 x 3 convolutions with the given filters over images
// of the given shape (each followed by a BatchNorm when norm is set), and the number of values
// they output per image.
func ConvStackSize(shape []int, filters []int, norm bool) (Size, int) {
	h, w, in := shape[0], shape[1], shape[2]
	var s Size
	for _, f := range filters {
		h, w = halved(h), halved(w)
		s = s.Add(conv(3, in, f, h, w, norm))
		in = f
	}
	return s, h * w * in
}

// halved is the size of a side after a stride-2 convolution with "same" padding.
func halved(n int) int { return (n + 1) / 2 }

// EncoderSize is the size of EncoderFeatures for images of the given shape with cond extra
// inputs (a one-hot class), and the width of the features it gives.
func EncoderSize(p paramtable.Values, family string, shape []int, cond int) (Size, int) {
	h, w, c := shape[0], shape[1], shape[2]
	var s Size
	if v, _ := p.Get(ParamArchitecture, family); v == ArchConv {
		in := c + cond
		norm, _ := p.Get(ParamConvBatchNorm, family)
		for _, f := range p.Ints(ParamConvFilters, family) {
			h, w = halved(h), halved(w)
			s = s.Add(conv(3, in, f, h, w, norm == true))
			in = f
		}
		features := h * w * in
		if width := p.Int(ParamConvDense, family); width > 0 {
			s = s.Add(DenseSize(features, width))
			features = width
		}
		return s, features
	}
	in := h*w*c + cond
	for _, width := range p.Ints(ParamMLPHidden, family) {
		s = s.Add(DenseSize(in, width))
		in = width
	}
	return s, in
}

// DecoderSize is the size of DecoderLogits from in inputs (the latent and a condition) to
// images of the given shape.
func DecoderSize(p paramtable.Values, family string, shape []int, in int) Size {
	h, w, c := shape[0], shape[1], shape[2]
	var s Size
	if v, _ := p.Get(ParamArchitecture, family); v == ArchConv {
		filters := p.Ints(ParamConvFilters, family)
		norm, _ := p.Get(ParamConvBatchNorm, family)
		n := len(filters)
		gh, gw := h>>n, w>>n
		s = s.Add(DenseSize(in, gh*gw*filters[n-1]))
		cin := filters[n-1]
		for i := n - 1; i >= 0; i-- {
			gh, gw = 2*gh, 2*gw
			s = s.Add(conv(3, cin, filters[i], gh, gw, norm == true))
			cin = filters[i]
		}
		return s.Add(conv(3, cin, c, h, w, false))
	}
	hidden := p.Ints(ParamMLPHidden, family)
	for i := len(hidden) - 1; i >= 0; i-- {
		s = s.Add(DenseSize(in, hidden[i]))
		in = hidden[i]
	}
	return s.Add(DenseSize(in, h*w*c))
}
