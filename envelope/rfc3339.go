package envelope

import (
	"errors"
	"time"
)

// errMetadataTime is returned for a created or modified string outside the
// profile of RFC 3339 that SPEC.md §2 allows.
var errMetadataTime = errors.New("metadata time is not RFC 3339 in the profile SPEC.md allows")

// parseTime reads the one RFC 3339 date-time form SPEC.md §2 allows:
//
//	YYYY-MM-DD "T" hh:mm:ss [ "." 1 to 9 digits ] ( "Z" / ("+" / "-") hh:mm )
//
// with every field in range (no leap second, no offset beyond ±23:59). It
// is written out rather than left to time.Parse, which also takes a one-digit
// hour, a comma before the fraction, any number of fraction digits and
// offsets such as +00:60 or +24:00 that time.Time cannot write back. Every
// value it returns re-encodes with time.RFC3339Nano to a string it accepts
// and that denotes the same instant at the same offset.
func parseTime(s string) (time.Time, error) {
	if len(s) < len("2006-01-02T15:04:05Z") ||
		s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, errMetadataTime
	}
	year, ok1 := decimal(s[0:4])
	month, ok2 := decimal(s[5:7])
	day, ok3 := decimal(s[8:10])
	hour, ok4 := decimal(s[11:13])
	minute, ok5 := decimal(s[14:16])
	sec, ok6 := decimal(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, errMetadataTime
	}
	rest := s[19:]
	nsec := 0
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		digits := rest[1:n]
		if len(digits) == 0 || len(digits) > 9 {
			return time.Time{}, errMetadataTime
		}
		nsec, _ = decimal(digits)
		for range 9 - len(digits) {
			nsec *= 10
		}
		rest = rest[n:]
	}
	loc := time.UTC
	switch {
	case rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := decimal(rest[1:3])
		om, ok2 := decimal(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, errMetadataTime
		}
		off := (oh*60 + om) * 60
		if rest[0] == '-' {
			off = -off
		}
		if off != 0 {
			loc = time.FixedZone("", off)
		}
	default:
		return time.Time{}, errMetadataTime
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), nil
}

// decimal parses a non-empty run of ASCII digits (at most 9, so no overflow).
func decimal(s string) (int, bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysIn returns the length of month in the proleptic Gregorian year.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// wireTime is t as Go writes it into metadata: RFC 3339 offsets are whole
// minutes, so a zone whose offset is not (a historical local mean time such
// as +00:19:32) is written in UTC rather than at an offset rounded to the
// minute, which would name another instant.
func wireTime(t time.Time) time.Time {
	if _, off := t.Zone(); off%60 != 0 {
		return t.UTC()
	}
	return t
}
