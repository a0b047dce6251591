package store

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"
)

// The write-ahead log of an SQLite database is written through walVFS
// (unless the dsn says ?vfs=unix): SQLite's own unix VFS, except that the
// frames a commit appends to the log reach the file in one write. SQLite
// writes each frame as two writes, its 24-octet header and the page, so a
// commit that changes 5 pages makes 10 system calls; walVFS makes one (one
// per 31 frames of 4 KiB pages). Nothing else changes: the bytes and their
// offsets are SQLite's, the database and its -shm file are the unix VFS's
// own files, and another process (the sqlite3 shell, oots doctor) reads
// them as it reads any SQLite database.
//
// A commit is durable no later than SQLite believes it is: the log's
// format marks the last frame of a commit (its header's second field, the
// database size after the commit, is non-zero: "WAL file format" in
// SQLite's documentation), and the write of that frame's page sends the
// commit's frames to the file before it returns, before SQLite records the
// frames in the log's index (which readers go by) and before any sync.
// Frames of a transaction not yet committed may wait in memory; any other
// call on the log file (a read, a sync, a truncation, its size, a lock, a
// file control, closing it) and any write that does not follow the
// waiting ones sends them first, so the file is never read or synced
// behind SQLite's back. A process killed with frames waiting loses frames
// that were never committed, as SQLite itself would have left them
// unreferenced.
//
// The methods are Go functions stored where the transpiled SQLite keeps C
// function pointers, as modernc.org/sqlite's own vfs package does; the
// structures live in C memory (libc's allocator), as SQLite's own do. The
// tests in walvfs_test.go have SQLite's shell judge the files, also as a
// kill -9 leaves them, and fail when any of the rules above is broken.
const walVFSName = "oots-wal"

// walBuffer bounds the frames that wait: a commit larger than this is
// written in several writes, a write larger than half of it directly. It is
// the most the unix VFS writes in one call (its seekAndWriteFd keeps the
// low 17 bits of a size), 31 frames of 4 KiB pages.
const walBuffer = 0x1ffff

// walFile is the state of one open write-ahead log.
type walFile struct {
	inner   uintptr                      // the unix VFS's sqlite3_file, inside ours
	methods *sqlite3.Tsqlite3_io_methods // the unix VFS's methods for it
	buf     uintptr                      // walBuffer octets of C memory
	n       int32                        // octets waiting in buf
	off     int64                        // file offset of buf's first octet
	commit  bool                         // the last write was a commit frame's header
}

var walVFS struct {
	once    sync.Once
	err     error
	vfs     uintptr // ours, registered with SQLite (in C memory, as SQLite's own are)
	methods uintptr // the sqlite3_io_methods of a log opened through it (C memory)
	unix    uintptr // SQLite's default VFS
	mu      sync.Mutex
	files   map[uintptr]*walFile // by the sqlite3_file SQLite gave to xOpen
}

// walCounts counts, for tests, the writes SQLite made to logs and those
// that reached their files.
var walCounts struct{ writes, flushes atomic.Int64 }

// at is the memory at the C address p (SQLite's memory, not Go's heap).
func at(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// walFileOffset is where, in the sqlite3_file SQLite allocates for a log,
// the unix VFS's file begins: after our pMethods.
const walFileOffset = 8

// registerWALVFS registers walVFS with SQLite, once per process.
func registerWALVFS() error {
	walVFS.once.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		unix := sqlite3.Xsqlite3_vfs_find(tls, 0)
		if unix == 0 {
			walVFS.err = fmt.Errorf("sqlite: no default VFS")
			return
		}
		name, err := libc.CString(walVFSName)
		if err != nil {
			walVFS.err = err
			return
		}
		u := (*sqlite3.Tsqlite3_vfs)(at(unix))
		walVFS.unix = unix
		walVFS.files = map[uintptr]*walFile{}
		walVFS.vfs = libc.Xcalloc(tls, 1, types.Size_t(unsafe.Sizeof(sqlite3.Tsqlite3_vfs{})))
		walVFS.methods = libc.Xcalloc(tls, 1, types.Size_t(unsafe.Sizeof(sqlite3.Tsqlite3_io_methods{})))
		if walVFS.vfs == 0 || walVFS.methods == 0 {
			walVFS.err = fmt.Errorf("sqlite: out of memory registering the %s VFS", walVFSName)
			return
		}
		v := (*sqlite3.Tsqlite3_vfs)(at(walVFS.vfs))
		*v = *u
		v.FpNext, v.FzName = 0, name
		v.FszOsFile = walFileOffset + (u.FszOsFile+7)&^7
		*(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&v.FxOpen)) = walOpen
		m := (*sqlite3.Tsqlite3_io_methods)(at(walVFS.methods))
		// Version 1: SQLite calls the shared-memory and memory-mapping
		// methods (versions 2 and 3) on a database file, never on its log.
		m.FiVersion = 1
		*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxClose)) = walClose
		*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&m.FxRead)) = walRead
		*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&m.FxWrite)) = walWrite
		*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&m.FxTruncate)) = walTruncate
		*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&m.FxSync)) = walSync
		*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&m.FxFileSize)) = walFileSize
		*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&m.FxLock)) = walLock
		*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&m.FxUnlock)) = walUnlock
		*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&m.FxCheckReservedLock)) = walCheckReservedLock
		*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&m.FxFileControl)) = walFileControl
		*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxSectorSize)) = walSectorSize
		*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxDeviceCharacteristics)) = walDeviceCharacteristics
		if rc := sqlite3.Xsqlite3_vfs_register(tls, walVFS.vfs, 0); rc != sqlite3.SQLITE_OK {
			walVFS.err = fmt.Errorf("sqlite: registering the %s VFS: code %d", walVFSName, rc)
		}
	})
	return walVFS.err
}

// walOpen opens a file as the unix VFS does; a write-ahead log is wrapped
// in a walFile.
func walOpen(tls *libc.TLS, _, zPath, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	open := *(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&(*sqlite3.Tsqlite3_vfs)(at(walVFS.unix)).FxOpen))
	if flags&sqlite3.SQLITE_OPEN_WAL == 0 {
		return open(tls, walVFS.unix, zPath, pFile, flags, pOutFlags)
	}
	inner := pFile + walFileOffset
	rc := open(tls, walVFS.unix, zPath, inner, flags, pOutFlags)
	methods := *(*uintptr)(at(inner))
	if methods == 0 {
		*(*uintptr)(at(pFile)) = 0
		return rc
	}
	f := &walFile{inner: inner, methods: (*sqlite3.Tsqlite3_io_methods)(at(methods))}
	if rc == sqlite3.SQLITE_OK {
		if f.buf = libc.Xmalloc(tls, walBuffer); f.buf == 0 {
			rc = sqlite3.SQLITE_NOMEM
		}
	}
	walVFS.mu.Lock()
	walVFS.files[pFile] = f
	walVFS.mu.Unlock()
	*(*uintptr)(at(pFile)) = walVFS.methods
	return rc
}

func walFileOf(pFile uintptr) *walFile {
	walVFS.mu.Lock()
	f := walVFS.files[pFile]
	walVFS.mu.Unlock()
	return f
}

// write is the unix VFS's xWrite of the log.
func (f *walFile) write(tls *libc.TLS, p uintptr, n int32, off int64) int32 {
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&f.methods.FxWrite)))(tls, f.inner, p, n, off)
}

// flush writes the frames that wait.
func (f *walFile) flush(tls *libc.TLS) int32 {
	if f.n == 0 {
		return sqlite3.SQLITE_OK
	}
	walCounts.flushes.Add(1)
	n := f.n
	f.n, f.commit = 0, false
	return f.write(tls, f.buf, n, f.off)
}

func walWrite(tls *libc.TLS, pFile, p uintptr, n int32, off int64) int32 {
	f := walFileOf(pFile)
	walCounts.writes.Add(1)
	direct := n > walBuffer/2 || f.buf == 0
	if f.n > 0 && (direct || off != f.off+int64(f.n) || f.n+n > walBuffer) {
		// What waits goes first, so that the file sees SQLite's writes in
		// SQLite's order.
		if rc := f.flush(tls); rc != sqlite3.SQLITE_OK {
			return rc
		}
	}
	if direct {
		walCounts.flushes.Add(1)
		return f.write(tls, p, n, off)
	}
	if f.n == 0 {
		f.off = off
	}
	src := unsafe.Slice((*byte)(at(p)), n)
	copy(unsafe.Slice((*byte)(at(f.buf+uintptr(f.n))), n), src)
	f.n += n
	switch {
	case n == 24:
		// A frame's header: the frame ends a commit when the database size
		// after the commit is given.
		f.commit = binary.BigEndian.Uint32(src[4:8]) != 0
	case f.commit:
		// The page of a commit's last frame: the commit goes to the file.
		return f.flush(tls)
	}
	return sqlite3.SQLITE_OK
}

func walClose(tls *libc.TLS, pFile uintptr) int32 {
	f := walFileOf(pFile)
	rc := f.flush(tls)
	if crc := (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&f.methods.FxClose)))(tls, f.inner); rc == sqlite3.SQLITE_OK {
		rc = crc
	}
	if f.buf != 0 {
		libc.Xfree(tls, f.buf)
		f.buf = 0
	}
	walVFS.mu.Lock()
	delete(walVFS.files, pFile)
	walVFS.mu.Unlock()
	return rc
}

// The other methods send the frames that wait, then do what the unix
// VFS does.

func walRead(tls *libc.TLS, pFile, p uintptr, n int32, off int64) int32 {
	f := walFileOf(pFile)
	if rc := f.flush(tls); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&f.methods.FxRead)))(tls, f.inner, p, n, off)
}

func walTruncate(tls *libc.TLS, pFile uintptr, size int64) int32 {
	f := walFileOf(pFile)
	if rc := f.flush(tls); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&f.methods.FxTruncate)))(tls, f.inner, size)
}

func walSync(tls *libc.TLS, pFile uintptr, flags int32) int32 {
	f := walFileOf(pFile)
	if rc := f.flush(tls); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&f.methods.FxSync)))(tls, f.inner, flags)
}

func walFileSize(tls *libc.TLS, pFile, pSize uintptr) int32 {
	f := walFileOf(pFile)
	if rc := f.flush(tls); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&f.methods.FxFileSize)))(tls, f.inner, pSize)
}

func walLock(tls *libc.TLS, pFile uintptr, lock int32) int32 {
	f := walFileOf(pFile)
	if rc := f.flush(tls); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&f.methods.FxLock)))(tls, f.inner, lock)
}

func walUnlock(tls *libc.TLS, pFile uintptr, lock int32) int32 {
	f := walFileOf(pFile)
	if rc := f.flush(tls); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&f.methods.FxUnlock)))(tls, f.inner, lock)
}

func walCheckReservedLock(tls *libc.TLS, pFile, pResOut uintptr) int32 {
	f := walFileOf(pFile)
	if rc := f.flush(tls); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&f.methods.FxCheckReservedLock)))(tls, f.inner, pResOut)
}

func walFileControl(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32 {
	f := walFileOf(pFile)
	if rc := f.flush(tls); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&f.methods.FxFileControl)))(tls, f.inner, op, pArg)
}

func walSectorSize(tls *libc.TLS, pFile uintptr) int32 {
	f := walFileOf(pFile)
	return (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&f.methods.FxSectorSize)))(tls, f.inner)
}

func walDeviceCharacteristics(tls *libc.TLS, pFile uintptr) int32 {
	f := walFileOf(pFile)
	return (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&f.methods.FxDeviceCharacteristics)))(tls, f.inner)
}
