package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// IDX magic numbers: two zero bytes, the element type (0x08 = unsigned byte) and the rank.
const (
	idxMagicImages = 0x00000803 // rank-3 uint8: [count, rows, cols]
	idxMagicLabels = 0x00000801 // rank-1 uint8: [count]
)

// maxIDXElements bounds what a header may claim, so that a corrupt header cannot make the
// reader allocate gigabytes before it finds out the file is short.
const maxIDXElements = 1 << 31

// ReadIDX parses one IDX file of unsigned bytes from r: it checks the magic number against
// wantMagic and that exactly the number of bytes the header announces follows it.
// name is used only in error messages. Gzip streams are recognised by their header, so
// the same call reads `train-images-idx3-ubyte` and `train-images-idx3-ubyte.gz`.
func ReadIDX(r io.Reader, name string, wantMagic uint32) (dims []int, data []byte, err error) {
	br := bufio.NewReader(r)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: bad gzip header: %w", name, err)
		}
		defer gz.Close()
		br = bufio.NewReader(gz)
	}
	var magic uint32
	if err := binary.Read(br, binary.BigEndian, &magic); err != nil {
		return nil, nil, fmt.Errorf("%s: truncated: no 4-byte IDX magic number (%v)", name, err)
	}
	if magic != wantMagic {
		return nil, nil, fmt.Errorf("%s: wrong IDX magic number 0x%08x, expected 0x%08x (%s)",
			name, magic, wantMagic, describeMagic(wantMagic))
	}
	rank := int(magic & 0xff)
	dims = make([]int, rank)
	total := 1
	for i := range dims {
		var d uint32
		if err := binary.Read(br, binary.BigEndian, &d); err != nil {
			return nil, nil, fmt.Errorf("%s: truncated header: dimension %d of %d missing (%v)", name, i+1, rank, err)
		}
		dims[i] = int(d)
		total *= int(d)
		if total > maxIDXElements {
			return nil, nil, fmt.Errorf("%s: header claims dimensions %v, more than %d bytes: not an MNIST-style file", name, dims[:i+1], maxIDXElements)
		}
	}
	data = make([]byte, total)
	if n, err := io.ReadFull(br, data); err != nil {
		return nil, nil, fmt.Errorf("%s: truncated: header %v announces %d bytes of data, found %d", name, dims, total, n)
	}
	if extra, _ := br.Peek(1); len(extra) > 0 {
		return nil, nil, fmt.Errorf("%s: trailing bytes after the %d announced by header %v", name, total, dims)
	}
	return dims, data, nil
}

func describeMagic(m uint32) string {
	switch m {
	case idxMagicImages:
		return "unsigned-byte images [count, rows, cols]"
	case idxMagicLabels:
		return "unsigned-byte labels [count]"
	}
	return "unknown"
}

// readIDXFile reads and parses the IDX file at path.
func readIDXFile(path string, wantMagic uint32) (dims []int, data []byte, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return ReadIDX(bytes.NewReader(raw), path, wantMagic)
}
