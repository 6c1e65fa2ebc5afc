package app

import "time"

// Afghanistan's official calendar is the Solar Hijri one: its year starts
// at the March equinox (Nowruz). solarHijri converts a Gregorian day with
// the 33-year arithmetic of Borkowski's method, as the Iranian and Afghan
// calendars are computed in practice; it is exact for 1178 to 3177 SH.

// solarHijriBreaks are the years in which the 33-year leap cycle shifts.
var solarHijriBreaks = []int{-61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192, 2262, 2324, 2394, 2456, 3178}

// nowruz returns the Gregorian day of March on which Solar Hijri year sy begins.
func nowruz(sy int) int {
	gy := sy + 621
	leapSH, previous, jump := -14, solarHijriBreaks[0], 0
	for _, b := range solarHijriBreaks[1:] {
		jump = b - previous
		if sy < b {
			break
		}
		leapSH += jump/33*8 + jump%33/4
		previous = b
	}
	n := sy - previous
	leapSH += n/33*8 + (n%33+3)/4
	if jump%33 == 4 && jump-n == 4 {
		leapSH++
	}
	leapG := gy/4 - (gy/100+1)*3/4 - 150
	return 20 + leapSH - leapG
}

// solarHijri returns the Solar Hijri year, month (1–12) and day of the
// calendar day of t (in t's own location).
func solarHijri(t time.Time) (year, month, day int) {
	date := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	year = t.Year() - 621
	start := time.Date(t.Year(), time.March, nowruz(year), 0, 0, 0, 0, time.UTC)
	if date.Before(start) {
		year--
		start = time.Date(t.Year()-1, time.March, nowruz(year), 0, 0, 0, 0, time.UTC)
	}
	days := int(date.Sub(start).Hours() / 24)
	// Six months of 31 days, then months of 30 (the last 29 or 30).
	if days < 186 {
		return year, days/31 + 1, days%31 + 1
	}
	days -= 186
	return year, days/30 + 7, days%30 + 1
}
