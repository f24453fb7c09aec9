package web

import "strconv"

// Plural counts things in words: "1 task", "2 tasks". many is the plural
// form, since English plurals are not all one + "s".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
