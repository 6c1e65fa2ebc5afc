package models

import "strings"

// ASCIIDigits turns Arabic-Indic (٠١٢…) and Extended Arabic-Indic (۰۱۲…)
// digits, as Urdu, Pashto and Dari keyboards type them, and the Arabic
// decimal separator into ASCII, so that "۹۰" counts as 90 in a form or a
// CSV file alike.
func ASCIIDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '٠' && r <= '٩':
			return '0' + (r - '٠')
		case r >= '۰' && r <= '۹':
			return '0' + (r - '۰')
		case r == '٫':
			return '.'
		}
		return r
	}, s)
}
