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
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(pw)
		_, err := io.Copy(zw, r)
		if err == nil {
			err = zw.Close()
		}
		gzipWriters.Put(zw)
		if c, ok := r.(io.Closer); ok {
			c.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

// gzipWriters recycles compressors: a flate writer holds about 1 MiB of
// state, which would otherwise dominate the allocations of a small message.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// ErrDecompressedTooLarge is wrapped by the reader of Decompress when the
// payload grows beyond its limit (a compression bomb).
var ErrDecompressedTooLarge = errors.New("decompressed payload too large")

// Decompress returns a reader of the gunzipped content of r, which fails
// with an *Error EBMS:0303 DecompressionFailure when r is not gzip, is
// corrupt, or decompresses to more than max bytes (0: no limit).
func Decompress(r io.Reader, max int64) (io.ReadCloser, error) {
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(r)
	} else {
		err = zr.Reset(r)
	}
	if err != nil {
		return nil, wrapErr(DecompressionFailure, err, "payload is not gzip")
	}
	zr.Multistream(false)
	return &gunzipReader{zr: zr, max: max}, nil
}

type gunzipReader struct {
	zr  *gzip.Reader
	n   int64
	max int64
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
