package as4

import (
	"compress/gzip"
	"errors"
	"io"
	"sync"
)

// Compress returns a reader of the gzip compression (RFC 1952) of r, as the
// AS4 compression feature sends a payload (AS4 profile, "AS4 Compression" feature). It streams: a
// goroutine compresses into a pipe as the result is read. Closing the result
// stops the goroutine and closes r if it is an io.Closer.
func Compress(r io.Reader) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		err := compressTo(pw, r)
		if c, ok := r.(io.Closer); ok {
			c.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

// compressTo writes the gzip compression of r to w with a recycled
// compressor.
func compressTo(w io.Writer, r io.Reader) error {
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(w)
	_, err := io.Copy(zw, r)
	if err == nil {
		err = zw.Close()
	}
	zw.Reset(nil)
	gzipWriters.Put(zw)
	return err
}

// gzipWriters recycles compressors: a flate writer holds about 1 MiB of
// state, which would otherwise dominate the allocations of a small message.
// They compress at gzip.BestSpeed: at the default level, resetting the
// compressor clears a 512 KiB hash table, which costs a small payload four
// times its compression (34 against 8 µs for a 100-byte query), while a
// typical EDM document comes out about 10% larger.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

// ErrDecompressedTooLarge is wrapped by the reader of Decompress when the
// payload grows beyond its limit (a compression bomb).
var ErrDecompressedTooLarge = errors.New("decompressed payload too large")

// ErrCompressionRatio is wrapped by the reader of Decompress when the
// payload grows faster than its compressed form allows (a compression
// bomb, caught long before the size limit).
var ErrCompressionRatio = errors.New("compression ratio too high")

// Decompression bounds of a receiver (Receiver.MaxDecompressed,
// Receiver.MaxRatio) when it sets none.
const (
	// DefaultMaxDecompressed is 2 GiB: a payload of a gigabyte, which the
	// access point streams, passes; a bomb does not.
	DefaultMaxDecompressed = 2 << 30
	// DefaultMaxRatio is 200: XML and PDF compress far less (gzip gives
	// 5:1 to 50:1 on documents); a gigabyte of zeros compresses about
	// 1000:1.
	DefaultMaxRatio = 200
	// ratioSlack is the decompressed size below which the ratio is not
	// checked: small payloads of repeated content may compress better.
	ratioSlack = 1 << 20
)

// Decompress returns a reader of the gunzipped content of r, which fails
// with an *Error EBMS:0303 DecompressionFailure when r is not gzip, is
// corrupt, or decompresses to more than max bytes (0: no limit).
func Decompress(r io.Reader, max int64) (io.ReadCloser, error) {
	return DecompressBounded(r, max, 0)
}

// DecompressBounded is Decompress that also fails (EBMS:0303, wrapping
// ErrCompressionRatio) once the content is beyond 1 MiB and more than
// ratio times the compressed bytes read so far (ratio 0: not checked), so
// that a compression bomb is refused after a megabyte, not after max.
func DecompressBounded(r io.Reader, max int64, ratio int64) (io.ReadCloser, error) {
	cr := &countingReader{r: r}
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(cr)
	} else {
		err = zr.Reset(cr)
	}
	if err != nil {
		return nil, wrapErr(DecompressionFailure, err, "payload is not gzip")
	}
	zr.Multistream(false)
	return &gunzipReader{zr: zr, max: max, ratio: ratio, in: cr}, nil
}

// countingReader counts the compressed bytes read.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type gunzipReader struct {
	zr    *gzip.Reader
	in    *countingReader
	n     int64
	max   int64
	ratio int64
}

func (g *gunzipReader) Read(p []byte) (int, error) {
	if g.zr == nil {
		return 0, errors.New("as4: read of a closed decompressed payload")
	}
	n, err := g.zr.Read(p)
	g.n += int64(n)
	if g.max > 0 && g.n > g.max {
		return n, wrapErr(DecompressionFailure, ErrDecompressedTooLarge, "more than %d bytes", g.max)
	}
	if g.ratio > 0 && g.n > ratioSlack && g.n > g.ratio*g.in.n {
		return n, wrapErr(DecompressionFailure, ErrCompressionRatio, "%d bytes from %d compressed: more than %d:1", g.n, g.in.n, g.ratio)
	}
	if err != nil && err != io.EOF {
		return n, wrapErr(DecompressionFailure, err, "corrupt gzip payload")
	}
	return n, err
}

// Close ends the reading and recycles the decompressor.
func (g *gunzipReader) Close() error {
	if g.zr == nil {
		return nil
	}
	err := g.zr.Close()
	gzipReaders.Put(g.zr)
	g.zr = nil
	return err
}

// gzipReaders recycles decompressors (a flate reader holds a 32 KiB window);
// a reader goes back to the pool when the payload it read is closed.
var gzipReaders sync.Pool
