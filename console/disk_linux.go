package console

import (
	"os"
	"strconv"
	"syscall"
)

// statfs measures the file system of dir with statfs(2): the blocks
// available to an unprivileged process (f_bavail) and the file system's
// size, in fragments (f_frsize) as df(1) counts them. The device of dir
// (stat(2)) tells file systems apart.
func statfs(dir string) (Space, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return Space{}, &os.PathError{Op: "statfs", Path: dir, Err: err}
	}
	unit := uint64(st.Frsize)
	if unit == 0 {
		unit = uint64(st.Bsize)
	}
	sp := Space{Free: uint64(st.Bavail) * unit, Total: uint64(st.Blocks) * unit}
	var sb syscall.Stat_t
	if syscall.Stat(dir, &sb) == nil {
		sp.FS = strconv.FormatUint(uint64(sb.Dev), 10)
	}
	return sp, nil
}
