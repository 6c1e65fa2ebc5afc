package models

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxPasswordLength bounds a password (ASVS V2.1.2 allows 64 and more; past
// 128 it is more likely a paste gone wrong than a passphrase).
const MaxPasswordLength = 128

// The password rules beside the length (ASVS V2.1.7): each refusal has its
// own error, so that the person choosing learns which rule to follow.
var (
	ErrPasswordTooLong     = fmt.Errorf("a password has at most %d characters", MaxPasswordLength)
	ErrPasswordCommon      = errors.New("this password is one of the most common ones, which are guessed first; choose a phrase of several unrelated words")
	ErrPasswordHasUsername = errors.New("a password must not contain the user name")
	ErrPasswordRepeated    = errors.New("a password must not be one character or a short group of characters repeated")
)

// ValidatePassword checks a new password for the account username against
// every rule: length, the list of common passwords and keyboard runs, the
// user name, and repetition.
func ValidatePassword(username, password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLength:
		return ErrPasswordTooShort
	case n > MaxPasswordLength:
		return ErrPasswordTooLong
	}
	lower := strings.ToLower(password)
	if len(username) >= 3 && strings.Contains(lower, strings.ToLower(username)) {
		return ErrPasswordHasUsername
	}
	if repeated(lower) {
		return ErrPasswordRepeated
	}
	if isCommonPassword(lower) {
		return ErrPasswordCommon
	}
	return nil
}

// repeated reports whether s is one group of one to four characters said
// over and over ("aaaaaaaaaaaa", "abababababab", "abc!abc!abc!").
func repeated(s string) bool {
	r := []rune(s)
	for size := 1; size <= 4 && size < len(r); size++ {
		if len(r)%size != 0 {
			continue
		}
		if strings.Repeat(string(r[:size]), len(r)/size) == s {
			return true
		}
	}
	return false
}

// isCommonPassword reports whether the lower-cased password is on the list,
// is a listed word with digits or symbols around it ("Password2024!",
// "123qwerty"), written in the usual look-alike digits ("p@ssw0rd"), or is a
// run along the keyboard or the alphabet ("qwertyuiopas", "1234567890123").
func isCommonPassword(lower string) bool {
	if commonPasswords[lower] {
		return true
	}
	core := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	if core != "" && (commonPasswords[core] || commonPasswords[unLeet(core)]) {
		return true
	}
	if commonPasswords[unLeet(lower)] {
		return true
	}
	var alnum strings.Builder
	for _, r := range lower {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			alnum.WriteRune(r)
		}
	}
	if a := alnum.String(); len(a) >= 6 {
		for _, run := range keyboardRuns {
			if strings.Contains(run, a) {
				return true
			}
		}
	}
	return false
}

// unLeet undoes the look-alike substitutions people expect to be clever.
var unLeet = strings.NewReplacer("0", "o", "1", "i", "3", "e", "4", "a", "5", "s", "7", "t", "@", "a", "$", "s", "!", "i").Replace

// keyboardRuns are sequences a password may not be a stretch of, forwards
// or backwards: the alphabet, the digits, and the rows and columns of a
// QWERTY keyboard.
var keyboardRuns = []string{
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
	"zyxwvutsrqponmlkjihgfedcbazyxwvutsrqponmlkjihgfedcba",
	"1234567890123456789012345678901234567890",
	"0987654321098765432109876543210987654321",
	"qwertyuiopasdfghjklzxcvbnmqwertyuiopasdfghjklzxcvbnm",
	"mnbvcxzlkjhgfdsapoiuytrewqmnbvcxzlkjhgfdsapoiuytrewq",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p1qaz2wsx3edc4rfv",
	"qazwsxedcrfvtgbyhnujmikolpqazwsxedcrfvtgbyhnujmikolp",
	"zaq1xsw2cde3vfr4bgt5nhy6mju7,ki8.lo9/;p0zaq1xsw2cde3",
	"1q2w3e4r5t6y7u8i9o0p1q2w3e4r5t6y7u8i9o0p",
	"q1w2e3r4t5y6u7i8o9p0q1w2e3r4t5y6u7i8o9p0",
	"azertyuiopqsdfghjklmwxcvbnazertyuiopqsdfghjklmwxcvbn",
	"qwertzuiopasdfghjklyxcvbnmqwertzuiopasdfghjklyxcvbnm",
}

// commonPasswords are the passwords and base words found at the top of
// every published list of leaked passwords, a few that people here choose
// (places, the site's own name, religious phrases), and the keyboard
// patterns the runs above miss. Entries are lower case; shorter ones
// matter as the core of a longer password ("monkey12345!").
var commonPasswords = setOf(
	// The perennial top of the leaked lists.
	"password", "passwort", "passw0rd", "p@ssword", "p@ssw0rd", "pass", "passpass", "passwordpassword",
	"password1", "password12", "password123", "password1234", "password12345", "password123456",
	"mypassword", "newpassword", "yourpassword", "thepassword", "secretpassword", "defaultpassword",
	"changeme", "changeit", "changethis", "default", "secret", "topsecret", "letmein", "letmeinnow",
	"welcome", "welcome1", "welcomehome", "welcometo", "hello", "helloworld", "hellothere",
	"iloveyou", "iloveyou2", "iloveyouforever", "loveyou", "lovely", "loveme", "lover", "mylove",
	"admin", "administrator", "admin123", "adminadmin", "root", "rootroot", "toor", "superuser",
	"guest", "guestguest", "login", "logon", "user", "username", "test", "testing", "test123", "testtest",
	"demo", "sample", "example", "temp", "temporary", "access", "master", "mastermaster", "letmeinplease",
	"trustno1", "trustnoone", "whatever", "nothing", "anything", "something", "qwerty", "qwertyqwerty",
	"qwerty123", "qwertyuiop", "qwertyuiop123", "asdfgh", "asdfghjkl", "asdfasdf", "asdfasdfasdf",
	"zxcvbn", "zxcvbnm", "zxcvbnm123", "qazwsx", "qazwsxedc", "qazwsxedcrfv", "1qaz2wsx", "1qaz2wsx3edc",
	"1q2w3e4r", "1q2w3e4r5t", "1q2w3e4r5t6y", "q1w2e3r4", "q1w2e3r4t5y6", "zaq12wsx", "zaq1xsw2",
	"abc123", "abcd1234", "abcdef", "abcdefg", "abcdefgh", "a1b2c3d4", "a1b2c3d4e5f6", "aa123456",
	"123456", "1234567", "12345678", "123456789", "1234567890", "12345678910", "123456789012",
	"123123", "123123123", "123123123123", "112233", "111222333", "121212", "123321", "654321",
	"987654321", "9876543210", "00000000", "11111111", "147258369", "159753", "159357", "789456123",
	"monkey", "dragon", "shadow", "sunshine", "princess", "football", "baseball", "basketball",
	"soccer", "hockey", "cricket", "superman", "batman", "spiderman", "starwars", "pokemon",
	"michael", "jennifer", "jessica", "charlie", "jordan", "hunter", "ranger", "harley", "thomas",
	"robert", "daniel", "andrew", "joshua", "george", "william", "ashley", "nicole", "michelle",
	"killer", "freedom", "computer", "internet", "whatsapp", "facebook", "google", "youtube",
	"samsung", "iphone", "apple", "microsoft", "windows", "linux", "mustang", "ferrari", "corvette",
	"cheese", "chocolate", "cookie", "banana", "orange", "pepper", "summer", "winter", "autumn",
	"spring", "flower", "angel", "angels", "friends", "family", "forever", "beautiful", "buster",
	"tigger", "ginger", "pepsi", "matrix", "secure", "security", "private", "fuckyou", "fuckoff",
	"asshole", "bitch", "sexy", "maggie", "jasmine", "hannah", "silver", "golden", "diamond",
	"blink182", "liverpool", "chelsea", "arsenal", "barcelona", "realmadrid", "manchester",
	"letmein123", "welcome123", "admin1234", "root1234", "qwerty12345", "passwordqwerty",
	// Work, office and this site.
	"borderflow", "borderflow123", "customs", "customsoffice", "officer", "supervisor", "office",
	"company", "business", "account", "accounts", "database", "server", "network", "system",
	"staff", "employee", "manager", "director", "finance", "trade", "border", "crossing",
	"transport", "truck", "trucks", "cargo", "container",
	// Places and phrases common in Pakistani and Afghan password lists.
	"pakistan", "pakistan123", "pakistanzindabad", "pakistan1947", "afghanistan", "afghan",
	"islamabad", "karachi", "lahore", "peshawar", "quetta", "rawalpindi", "multan", "faisalabad",
	"kabul", "kandahar", "jalalabad", "herat", "torkham", "chaman", "khyber", "balochistan",
	"pashtun", "pakhtun", "punjab", "sindh", "zindabad", "bismillah", "mashallah", "inshallah",
	"alhamdulillah", "subhanallah", "allahuakbar", "allah", "muhammad", "mohammad", "ali", "khan",
	"imrankhan", "cricketlover", "loveyoumom", "mylovemom", "iloveallah", "iloveislam", "islam",
	"jannat", "jaan", "meri", "merijaan", "pyar", "dilse", "shukriya",
)

func setOf(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, s := range items {
		m[s] = true
	}
	return m
}
