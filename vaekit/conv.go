package vaekit

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // graph code reads like math.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Why convolutions are written here and not taken from graph.Convolve: the pure-Go backend runs
// its own convolution as a scalar loop (about 12 s per step of the seed convolutional VAE), and
// graph has no transposed convolution (an input-dilated Convolve has no gradient). Written as
// strided slices plus one matrix product (im2col), and as one matrix product plus col2im, every
// backend runs them through its fastest kernel (the SIMD matmul on the pure-Go backend, plain
// dot products on XLA), and every piece has a gradient.

// samePadding returns the output size and the padding before and after an axis of size in for a
// "same" convolution with the given kernel size and stride (TensorFlow's convention: the
// output has ceil(in/stride) positions, and an odd padding puts the extra zero at the end).
func samePadding(in, kernel, stride int) (out, before, after int) {
	out = (in + stride - 1) / stride
	total := max((out-1)*stride+kernel-in, 0)
	return out, total / 2, total - total/2
}

// Conv2DSame convolves x [batch, height, width, inChannels] with kernel [kh, kw, inChannels,
// outChannels] at the given stride and "same" padding, giving [batch, ceil(h/s), ceil(w/s),
// outChannels]. The padding follows TensorFlow/Keras (for stride 2 and kernel 3 the extra zero
// goes at the end), not graph.Convolve's PadSame, which pads (k-1)/2 on both sides whatever
// the stride.
func Conv2DSame(x, kernel *Node, stride int) *Node {
	if x.Rank() != 4 || kernel.Rank() != 4 || x.Shape().Dim(3) != kernel.Shape().Dim(2) {
		exceptions.Panicf("Conv2DSame: x %s and kernel %s must be [b,h,w,c] and [kh,kw,c,out]", x.Shape(), kernel.Shape())
	}
	g := x.Graph()
	b, h, w, c := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2), x.Shape().Dim(3)
	kh, kw, out := kernel.Shape().Dim(0), kernel.Shape().Dim(1), kernel.Shape().Dim(3)
	ho, padTop, padBottom := samePadding(h, kh, stride)
	wo, padLeft, padRight := samePadding(w, kw, stride)
	if padTop+padBottom+padLeft+padRight > 0 {
		x = Pad(x, ScalarZero(g, x.DType()),
			compute.PadAxis{}, compute.PadAxis{Start: padTop, End: padBottom},
			compute.PadAxis{Start: padLeft, End: padRight}, compute.PadAxis{})
	}
	var patches *Node
	if kh == 1 && kw == 1 && stride == 1 {
		patches = x
	} else {
		taps := make([]*Node, 0, kh*kw)
		for i := range kh {
			for j := range kw {
				taps = append(taps, Slice(x, AxisRange(),
					AxisRange(i, i+(ho-1)*stride+1).Stride(stride),
					AxisRange(j, j+(wo-1)*stride+1).Stride(stride), AxisRange()))
			}
		}
		// [b, ho, wo, kh*kw*c], ordered (i, j, channel) like the rows of the reshaped kernel.
		patches = Concatenate(taps, -1)
	}
	y := MatMul(Reshape(patches, b*ho*wo, kh*kw*c), Reshape(kernel, kh*kw*c, out))
	return Reshape(y, b, ho, wo, out)
}

// ConvTranspose2DSame is the transposed ("fractionally strided") convolution of x [batch, h, w,
// inChannels] with kernel [kh, kw, inChannels, outChannels] at the given stride and "same"
// padding, giving [batch, h*stride, w*stride, outChannels]: the gradient of Conv2DSame with
// respect to its input, as Keras' Conv2DTranspose(padding="same") computes it. It is one matrix
// product followed by col2im: every input pixel scatters a kh x kw patch, and the patches are
// summed into place with interior-padded copies.
func ConvTranspose2DSame(x, kernel *Node, stride int) *Node {
	if x.Rank() != 4 || kernel.Rank() != 4 || x.Shape().Dim(3) != kernel.Shape().Dim(2) {
		exceptions.Panicf("ConvTranspose2DSame: x %s and kernel %s must be [b,h,w,c] and [kh,kw,c,out]", x.Shape(), kernel.Shape())
	}
	g := x.Graph()
	b, h, w, c := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2), x.Shape().Dim(3)
	kh, kw, out := kernel.Shape().Dim(0), kernel.Shape().Dim(1), kernel.Shape().Dim(3)
	if kh < stride || kw < stride {
		exceptions.Panicf("ConvTranspose2DSame: kernel %dx%d smaller than stride %d is not supported", kh, kw, stride)
	}
	// [c, kh*kw*out]: each input channel's contribution to every tap and output channel.
	k := Reshape(Transpose(Reshape(kernel, kh*kw, c, out), 0, 1), c, kh*kw*out)
	cols := Reshape(MatMul(Reshape(x, b*h*w, c), k), b, h, w, kh, kw, out)
	zero := ScalarZero(g, x.DType())
	// The sum of the placed taps is ((h-1)*stride+kh) x ((w-1)*stride+kw); "same" crops it.
	var y *Node
	for i := range kh {
		for j := range kw {
			tap := Reshape(Slice(cols, AxisRange(), AxisRange(), AxisRange(), AxisElem(i), AxisElem(j), AxisRange()), b, h, w, out)
			placed := Pad(tap, zero, compute.PadAxis{},
				compute.PadAxis{Start: i, End: kh - 1 - i, Interior: stride - 1},
				compute.PadAxis{Start: j, End: kw - 1 - j, Interior: stride - 1},
				compute.PadAxis{})
			if y == nil {
				y = placed
			} else {
				y = Add(y, placed)
			}
		}
	}
	top, left := (kh-stride)/2, (kw-stride)/2
	return Slice(y, AxisRange(), AxisRange(top, top+h*stride), AxisRange(left, left+w*stride), AxisRange())
}

// convKernel creates (or reuses) the "weights" [kh, kw, in, out] and "biases" [out] of a
// convolution layer in scope.
func convKernel(scope *model.Scope, dtype dtypes.DType, kernelSize, in, out int) (kernel, bias *model.Variable) {
	kernel = scope.VariableWithShape("weights", shapes.Make(dtype, kernelSize, kernelSize, in, out))
	bias = scope.VariableWithShape("biases", shapes.Make(dtype, out))
	return kernel, bias
}

// Conv2D is a convolution layer with "same" padding and a bias, its variables in scope.
func Conv2D(scope *model.Scope, x *Node, filters, kernelSize, stride int) *Node {
	kernel, bias := convKernel(scope, x.DType(), kernelSize, x.Shape().Dim(-1), filters)
	g := x.Graph()
	return Add(Conv2DSame(x, kernel.NodeValue(g), stride), Reshape(bias.NodeValue(g), 1, 1, 1, filters))
}

// ConvTranspose2D is a transposed convolution layer with "same" padding and a bias, its
// variables in scope; it multiplies height and width by stride.
func ConvTranspose2D(scope *model.Scope, x *Node, filters, kernelSize, stride int) *Node {
	kernel, bias := convKernel(scope, x.DType(), kernelSize, x.Shape().Dim(-1), filters)
	g := x.Graph()
	return Add(ConvTranspose2DSame(x, kernel.NodeValue(g), stride), Reshape(bias.NodeValue(g), 1, 1, 1, filters))
}
