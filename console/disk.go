package console

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Space is the room on the file system of a directory.
type Space struct {
	// Free is what the node may still write, in bytes (on Linux, not
	// counting the blocks reserved for root).
	Free uint64
	// Total is the file system's size, in bytes.
	Total uint64
	// FS tells file systems apart, so that directories on one raise one
	// alert; "" when it is not known.
	FS string
}

// DiskAlert sets when a file system the node writes to raises
// AlertDiskLow: when its free space is below MinFree bytes or below
// MinFreePercent of its size, whichever bound is the larger. The defaults,
// 1 GiB and 10 %, alert on a small volume with room for a few large
// payloads left, and on a large one at the usual warning level, early
// enough to grow it.
type DiskAlert struct {
	// Dirs are the directories whose file systems are watched: the node's
	// data directory (payloads, temporary files) and, for SQLite, the
	// database's. None: no low-disk alert.
	Dirs []string
	// MinFree is the free space below which the alert is raised, in bytes;
	// default 1 GiB. Negative: no bound in bytes.
	MinFree int64
	// MinFreePercent is the share of the file system's size that must stay
	// free; default 10. Negative: no bound in percent.
	MinFreePercent float64
	// FreeSpace measures the file system of a directory; default statfs(2)
	// on Linux. Elsewhere it returns errors.ErrUnsupported, and there is no
	// low-disk alert. Another error raises the alert, saying why the space
	// is not known.
	FreeSpace func(dir string) (Space, error)
}

// GiB is 2³⁰ bytes.
const GiB = 1 << 30

// Defaults of DiskAlert.
const (
	DefaultMinFree        = GiB
	DefaultMinFreePercent = 10
)

func (d *DiskAlert) defaults() {
	if d.MinFree == 0 {
		d.MinFree = DefaultMinFree
	}
	if d.MinFreePercent == 0 {
		d.MinFreePercent = DefaultMinFreePercent
	}
	if d.FreeSpace == nil {
		d.FreeSpace = statfs
	}
}

// low tells whether sp is below a bound, and which.
func (d *DiskAlert) low(sp Space) (string, bool) {
	var bounds []string
	if d.MinFree >= 0 && sp.Free < uint64(d.MinFree) {
		bounds = append(bounds, bytesText(uint64(d.MinFree)))
	}
	if d.MinFreePercent >= 0 && sp.Total > 0 && float64(sp.Free)*100 < d.MinFreePercent*float64(sp.Total) {
		bounds = append(bounds, fmt.Sprintf("%g %%", d.MinFreePercent))
	}
	return strings.Join(bounds, " and "), len(bounds) > 0
}

// alerts measures each directory's file system, once per file system.
func (d *DiskAlert) alerts() []Alert {
	type volume struct {
		dirs  []string
		space Space
		err   error
	}
	var vols []*volume
	byFS := map[string]*volume{}
	seen := map[string]bool{}
	for _, dir := range d.Dirs {
		dir = filepath.Clean(dir)
		if seen[dir] {
			continue
		}
		seen[dir] = true
		sp, err := d.FreeSpace(dir)
		if errors.Is(err, errors.ErrUnsupported) {
			continue
		}
		if v := byFS[sp.FS]; err == nil && sp.FS != "" && v != nil {
			v.dirs = append(v.dirs, dir)
			continue
		}
		v := &volume{dirs: []string{dir}, space: sp, err: err}
		vols = append(vols, v)
		if err == nil && sp.FS != "" {
			byFS[sp.FS] = v
		}
	}
	var out []Alert
	for _, v := range vols {
		subject := strings.Join(v.dirs, ", ")
		if v.err != nil {
			out = append(out, Alert{Kind: AlertDiskLow, Subject: subject, Detail: fmt.Sprintf("the free space of the file system of %s cannot be measured: %v", subject, v.err)})
			continue
		}
		bound, low := d.low(v.space)
		if !low {
			continue
		}
		out = append(out, Alert{Kind: AlertDiskLow, Subject: subject, Detail: fmt.Sprintf("the file system of %s has %s free of %s (%.1f %%), below %s",
			subject, bytesText(v.space.Free), bytesText(v.space.Total), percent(v.space), bound)})
	}
	return out
}

func percent(sp Space) float64 {
	if sp.Total == 0 {
		return 0
	}
	return float64(sp.Free) * 100 / float64(sp.Total)
}

// bytesText writes n in binary units: 812.0 MiB, 1.0 GiB.
func bytesText(n uint64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, units[i])
}
