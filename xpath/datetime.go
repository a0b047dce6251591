package xpath

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The implicit timezone of the dynamic context (XPath 2.0 §C.2) is UTC:
// values without a timezone compare and convert as if they were in UTC.

// DateTime is an xs:dateTime. The time.Time carries the timezone when the
// value has one (HasTZ), and UTC otherwise.
type DateTime struct {
	T     time.Time
	HasTZ bool
}

// Date is an xs:date: T is midnight at the start of the day.
type Date struct {
	T     time.Time
	HasTZ bool
}

// Time is an xs:time: T is that time of day on 1972-12-31 (the reference
// date of F&O §10.4).
type Time struct {
	T     time.Time
	HasTZ bool
}

type durKind uint8

const (
	anyDuration durKind = iota
	dayTime
	yearMonth
)

// Duration is an xs:duration, xs:dayTimeDuration or xs:yearMonthDuration:
// a signed number of months and a signed number of nanoseconds (both with
// the same sign).
type Duration struct {
	Months int64 // years and months, in months
	Nanos  int64 // days, hours, minutes and seconds, in nanoseconds
	kind   durKind
}

func tzString(t time.Time) string {
	_, off := t.Zone()
	if off == 0 {
		return "Z"
	}
	sign := '+'
	if off < 0 {
		sign = '-'
		off = -off
	}
	return fmt.Sprintf("%c%02d:%02d", sign, off/3600, off%3600/60)
}

func yearString(y int) string {
	if y < 0 {
		return fmt.Sprintf("-%04d", -y)
	}
	return fmt.Sprintf("%04d", y)
}

func fracString(ns int) string {
	if ns == 0 {
		return ""
	}
	return strings.TrimRight(fmt.Sprintf(".%09d", ns), "0")
}

// String returns the canonical lexical form, e.g. 2024-01-31T10:00:00.5Z.
func (d DateTime) String() string {
	t := d.T
	s := fmt.Sprintf("%s-%02d-%02dT%02d:%02d:%02d%s", yearString(t.Year()), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), fracString(t.Nanosecond()))
	if d.HasTZ {
		s += tzString(t)
	}
	return s
}

// String returns the canonical lexical form, e.g. 2024-01-31 or 2024-01-31+01:00.
func (d Date) String() string {
	t := d.T
	s := fmt.Sprintf("%s-%02d-%02d", yearString(t.Year()), t.Month(), t.Day())
	if d.HasTZ {
		s += tzString(t)
	}
	return s
}

// String returns the canonical lexical form, e.g. 13:20:00Z.
func (d Time) String() string {
	t := d.T
	s := fmt.Sprintf("%02d:%02d:%02d%s", t.Hour(), t.Minute(), t.Second(), fracString(t.Nanosecond()))
	if d.HasTZ {
		s += tzString(t)
	}
	return s
}

// String returns the canonical lexical form, e.g. P1Y2M, PT1H30M, -P3D.
func (d Duration) String() string {
	m, n := d.Months, d.Nanos
	neg := m < 0 || n < 0
	if m < 0 {
		m = -m
	}
	if n < 0 {
		n = -n
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteByte('P')
	if m == 0 && n == 0 {
		if d.kind == yearMonth {
			return "P0M"
		}
		return "PT0S"
	}
	if y := m / 12; y > 0 {
		b.WriteString(strconv.FormatInt(y, 10) + "Y")
	}
	if mo := m % 12; mo > 0 {
		b.WriteString(strconv.FormatInt(mo, 10) + "M")
	}
	const day = int64(24 * time.Hour)
	if dd := n / day; dd > 0 {
		b.WriteString(strconv.FormatInt(dd, 10) + "D")
	}
	rest := n % day
	if rest > 0 {
		b.WriteByte('T')
		h := rest / int64(time.Hour)
		mi := rest % int64(time.Hour) / int64(time.Minute)
		sec := rest % int64(time.Minute)
		if h > 0 {
			b.WriteString(strconv.FormatInt(h, 10) + "H")
		}
		if mi > 0 {
			b.WriteString(strconv.FormatInt(mi, 10) + "M")
		}
		if sec > 0 {
			b.WriteString(strconv.FormatInt(sec/int64(time.Second), 10) + fracString(int(sec%int64(time.Second))) + "S")
		}
	}
	return b.String()
}

// parseTZ parses a trailing timezone; it returns the rest of s.
func parseTZ(s string) (rest string, loc *time.Location, has bool, ok bool) {
	if strings.HasSuffix(s, "Z") {
		return s[:len(s)-1], time.UTC, true, true
	}
	if len(s) >= 6 && (s[len(s)-6] == '+' || s[len(s)-6] == '-') && s[len(s)-3] == ':' {
		z := s[len(s)-6:]
		h, err1 := strconv.Atoi(z[1:3])
		m, err2 := strconv.Atoi(z[4:6])
		if err1 != nil || err2 != nil || !digits(z[1:3]) || !digits(z[4:6]) || m > 59 || h > 14 || (h == 14 && m != 0) {
			return s, nil, false, false
		}
		off := h*3600 + m*60
		if z[0] == '-' {
			off = -off
		}
		if off == 0 {
			return s[:len(s)-6], time.UTC, true, true
		}
		return s[:len(s)-6], time.FixedZone("", off), true, true
	}
	return s, time.UTC, false, true
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseYMD parses -?YYYY-MM-DD.
func parseYMD(s string) (y, m, d int, ok bool) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	parts := strings.Split(s, "-")
	if len(parts) != 3 || len(parts[0]) < 4 || (len(parts[0]) > 4 && parts[0][0] == '0') || len(parts[1]) != 2 || len(parts[2]) != 2 ||
		!digits(parts[0]) || !digits(parts[1]) || !digits(parts[2]) || len(parts[0]) > 9 {
		return 0, 0, 0, false
	}
	y, _ = strconv.Atoi(parts[0])
	m, _ = strconv.Atoi(parts[1])
	d, _ = strconv.Atoi(parts[2])
	if neg {
		y = -y
	}
	if y == 0 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseHMS parses hh:mm:ss(.s+)?; h may be 24 only as 24:00:00.
func parseHMS(s string) (h, m, sec, ns int, ok bool) {
	if len(s) < 8 || s[2] != ':' || s[5] != ':' || !digits(s[0:2]) || !digits(s[3:5]) || !digits(s[6:8]) {
		return 0, 0, 0, 0, false
	}
	h, _ = strconv.Atoi(s[0:2])
	m, _ = strconv.Atoi(s[3:5])
	sec, _ = strconv.Atoi(s[6:8])
	if frac := s[8:]; frac != "" {
		if frac[0] != '.' || !digits(frac[1:]) {
			return 0, 0, 0, 0, false
		}
		f := frac[1:]
		if len(f) > 9 {
			f = f[:9]
		}
		f += strings.Repeat("0", 9-len(f))
		ns, _ = strconv.Atoi(f)
	}
	if m > 59 || sec > 59 || h > 24 || (h == 24 && (m != 0 || sec != 0 || ns != 0)) {
		return 0, 0, 0, 0, false
	}
	return h, m, sec, ns, true
}

func parseDateTime(s string) (DateTime, bool) {
	s = trimXML(s)
	rest, loc, has, ok := parseTZ(s)
	if !ok {
		return DateTime{}, false
	}
	ds, ts, found := strings.Cut(rest, "T")
	if !found {
		return DateTime{}, false
	}
	y, mo, d, ok1 := parseYMD(ds)
	h, mi, sec, ns, ok2 := parseHMS(ts)
	if !ok1 || !ok2 {
		return DateTime{}, false
	}
	return DateTime{T: time.Date(y, time.Month(mo), d, h, mi, sec, ns, loc), HasTZ: has}, true
}

func parseDate(s string) (Date, bool) {
	s = trimXML(s)
	rest, loc, has, ok := parseTZ(s)
	if !ok {
		return Date{}, false
	}
	y, mo, d, ok1 := parseYMD(rest)
	if !ok1 {
		return Date{}, false
	}
	return Date{T: time.Date(y, time.Month(mo), d, 0, 0, 0, 0, loc), HasTZ: has}, true
}

func parseTime(s string) (Time, bool) {
	s = trimXML(s)
	rest, loc, has, ok := parseTZ(s)
	if !ok {
		return Time{}, false
	}
	h, mi, sec, ns, ok1 := parseHMS(rest)
	if !ok1 {
		return Time{}, false
	}
	if h == 24 {
		h = 0
	}
	return Time{T: time.Date(1972, 12, 31, h, mi, sec, ns, loc), HasTZ: has}, true
}

// parseDuration parses xs:duration and checks the form against kind.
func parseDuration(s string, kind durKind) (Duration, bool) {
	s = trimXML(s)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if !strings.HasPrefix(s, "P") || len(s) < 2 {
		return Duration{}, false
	}
	s = s[1:]
	datePart, timePart, hasT := strings.Cut(s, "T")
	if hasT && timePart == "" {
		return Duration{}, false
	}
	var months, nanos int64
	any := false
	next := func(p string, units string) (string, byte, string, bool) {
		// returns number, unit, rest
		i := 0
		for i < len(p) && (p[i] >= '0' && p[i] <= '9' || p[i] == '.') {
			i++
		}
		if i == 0 || i >= len(p) || !strings.ContainsRune(units, rune(p[i])) {
			return "", 0, "", false
		}
		return p[:i], p[i], p[i+1:], true
	}
	order := "YMD"
	for datePart != "" {
		num, u, rest, ok := next(datePart, order)
		if !ok || !digits(num) || len(num) > 15 {
			return Duration{}, false
		}
		order = order[strings.IndexByte(order, u)+1:]
		v, _ := strconv.ParseInt(num, 10, 64)
		switch u {
		case 'Y':
			months += v * 12
		case 'M':
			months += v
		case 'D':
			if v > math.MaxInt64/int64(24*time.Hour) {
				return Duration{}, false
			}
			nanos += v * int64(24*time.Hour)
		}
		any = true
		datePart = rest
	}
	order = "HMS"
	for timePart != "" {
		num, u, rest, ok := next(timePart, order)
		if !ok {
			return Duration{}, false
		}
		order = order[strings.IndexByte(order, u)+1:]
		switch u {
		case 'H', 'M':
			if !digits(num) || len(num) > 12 {
				return Duration{}, false
			}
			v, _ := strconv.ParseInt(num, 10, 64)
			if u == 'H' {
				nanos += v * int64(time.Hour)
			} else {
				nanos += v * int64(time.Minute)
			}
		case 'S':
			ip, fp, _ := strings.Cut(num, ".")
			if !digits(ip) || len(ip) > 12 || (strings.Contains(num, ".") && !digits(fp)) {
				return Duration{}, false
			}
			v, _ := strconv.ParseInt(ip, 10, 64)
			nanos += v * int64(time.Second)
			if fp != "" {
				if len(fp) > 9 {
					fp = fp[:9]
				}
				f, _ := strconv.ParseInt(fp+strings.Repeat("0", 9-len(fp)), 10, 64)
				nanos += f
			}
		}
		any = true
		timePart = rest
	}
	if !any || nanos < 0 {
		return Duration{}, false
	}
	if kind == dayTime && months != 0 || kind == yearMonth && nanos != 0 {
		return Duration{}, false
	}
	if neg {
		months, nanos = -months, -nanos
	}
	return Duration{Months: months, Nanos: nanos, kind: kind}, true
}

// instant returns the point in time a date/time value denotes, with the
// implicit timezone (UTC) for values without one.
func instant(it Item) (time.Time, bool) {
	switch v := it.(type) {
	case DateTime:
		return v.T, true
	case Date:
		return v.T, true
	case Time:
		return v.T, true
	}
	return time.Time{}, false
}

// addMonths adds months to t, keeping the day of month within the target
// month (F&O §10.8.5 / XML Schema Appendix E).
func addMonths(t time.Time, months int64) time.Time {
	y, m, d := t.Date()
	total := int64(y)*12 + int64(m-1) + months
	ny, nm := int(total/12), time.Month(total%12+1)
	if total < 0 && total%12 != 0 {
		ny, nm = int(total/12)-1, time.Month(total%12+13)
	}
	if dim := daysIn(ny, int(nm)); d > dim {
		d = dim
	}
	return time.Date(ny, nm, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}
