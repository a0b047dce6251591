// Package durable writes files so that a crash or a full disk leaves either
// the file as it was or the new one whole: the bytes go to a temporary file
// beside it, synced, which is then renamed over it, and the directory is
// synced so that the rename itself survives a crash.
package durable

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Temp writes what write writes to a new file of dir whose name follows
// pattern (as os.CreateTemp's), with the permissions mode, synced, and
// returns its name. On an error nothing is left behind.
func Temp(dir, pattern string, mode fs.FileMode, write func(io.Writer) error) (name string, err error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	err = f.Chmod(mode)
	if err == nil {
		bw := bufio.NewWriterSize(f, 64<<10)
		if err = write(bw); err == nil {
			err = bw.Flush()
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	return f.Name(), nil
}

// WriteFile replaces the file path (or creates it) with what write writes,
// with the permissions mode: a temporary file beside it, synced, renamed
// over it, then the directory synced. When write or the disk fails, path
// is as it was and no temporary file is left.
func WriteFile(path string, mode fs.FileMode, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp, err := Temp(dir, "."+filepath.Base(path)+".*", mode, write)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return SyncDir(dir)
}

// SyncDir makes the entries of the directory dir durable: files created,
// renamed or removed in it. A file system that cannot sync a directory
// (EINVAL) is not an error: there is nothing more to do there.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		return err
	}
	return nil
}
