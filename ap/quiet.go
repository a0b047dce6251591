package ap

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// quietLog logs a repeated error with back-off: the first occurrence of a
// kind of error at once, then, while it goes on, one line with the count of
// the ones not logged at growing intervals (1 s, 2 s, 4 s … up to 5 min),
// and one line when it stops. A database or disk outage thus writes a
// handful of lines, not one per worker per poll.
type quietLog struct {
	now func() time.Time
	mu  sync.Mutex
	by  map[string]*quietState
}

type quietState struct {
	first, next time.Time
	every       time.Duration
	suppressed  int
	total       int
	last        string
}

const (
	quietFirst = time.Second
	quietMax   = 5 * time.Minute
)

func newQuietLog(now func() time.Time) *quietLog {
	return &quietLog{now: now, by: map[string]*quietState{}}
}

// fail records an error of kind and logs it when its time has come.
func (q *quietLog) fail(log *slog.Logger, kind, msg string, err error, attrs ...slog.Attr) {
	now := q.now()
	q.mu.Lock()
	st := q.by[kind]
	if st == nil {
		st = &quietState{first: now, next: now.Add(quietFirst), every: quietFirst}
		q.by[kind] = st
		st.total, st.last = 1, err.Error()
		q.mu.Unlock()
		log.LogAttrs(context.Background(), slog.LevelError, msg, append(attrs, slog.String(logError, err.Error()))...)
		return
	}
	st.total++
	st.last = err.Error()
	if now.Before(st.next) {
		st.suppressed++
		q.mu.Unlock()
		return
	}
	n := st.suppressed + 1
	st.suppressed = 0
	st.every = min(st.every*2, quietMax)
	st.next = now.Add(st.every)
	since := now.Sub(st.first).Round(time.Second)
	q.mu.Unlock()
	log.LogAttrs(context.Background(), slog.LevelError, msg, append(attrs, slog.String(logError, err.Error()),
		slog.Int(logCount, n), slog.Duration("since", since))...)
}

// ok records that kind works again; the recovery is logged once.
func (q *quietLog) ok(log *slog.Logger, kind, msg string) {
	q.mu.Lock()
	st := q.by[kind]
	delete(q.by, kind)
	q.mu.Unlock()
	if st != nil {
		log.Info(msg, slog.Int(logCount, st.total), slog.Duration("after", q.now().Sub(st.first).Round(time.Millisecond)),
			slog.String("last_error", st.last))
	}
}
