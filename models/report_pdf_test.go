package models_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"borderflow/models"
)

// The letters of the Urdu, Pashto and Dari alphabets.
const (
	urduLetters   = "ابپتٹثجچحخدڈذرڑزژسشصضطظعغفقکگلمنںوہھءیے"
	pashtoLetters = "ابپتټثجځچڅحخدډذرړزږژسشښصضطظعغفقکګلمنڼوهیېۍيئ"
	dariLetters   = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
)

// pdfToText extracts a PDF's text with poppler's pdftotext, compatibility
// forms (Arabic presentation forms) folded to plain letters. Without
// pdftotext the test fails under CI=true and skips loudly otherwise.
func pdfToText(t *testing.T, pdf []byte) string {
	t.Helper()
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		msg := "PDF text test NOT RUN: no pdftotext (apt-get install poppler-utils)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("!!! " + msg + " !!!")
	}
	cmd := exec.Command(pdftotext, "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return bidiControls.Replace(norm.NFKC.String(string(out)))
}

// bidiControls are the invisible direction marks pdftotext puts around
// right-to-left lines.
var bidiControls = strings.NewReplacer("\u202a", "", "\u202b", "", "\u202c", "", "\u202d", "", "\u202e", "",
	"\u200e", "", "\u200f", "", "\u2066", "", "\u2067", "", "\u2068", "", "\u2069", "")

// TestPDFSetsArabicScript renders a summary whose labels are in Dari,
// shaped right to left (one line mixing in digits and a Latin name), and
// reads the words back with pdftotext.
func TestPDFSetsArabicScript(t *testing.T) {
	const dari = "گزارش هفتگی Torkham"                     // Torkham weekly report
	const mixed = "وضعیت گذرگاه تورخم در هفته 47 سال 2026" // Torkham crossing status in week 47 of 2026
	lang := testLanguage{tag: "fa-AF", rtl: true, messages: map[string]string{"reports.title_all": dari, "reports.no_data": mixed}}
	s := models.WeeklySummary{Week: "2026-W47", Revision: 1, From: models.NewDate(2026, 11, 16), To: models.NewDate(2026, 11, 22)}
	pdf, err := models.RenderWeeklySummary(s, "pdf", lang)
	if err != nil {
		t.Fatal(err)
	}
	got := pdfToText(t, pdf)
	for _, word := range strings.Fields(dari + " " + mixed) {
		if !strings.Contains(got, word) {
			t.Errorf("pdftotext lost %q; it read:\n%s", word, got)
		}
	}
	if !bytes.Contains(pdf, []byte("/Lang(fa-AF)")) {
		t.Error("the PDF does not say it is in Dari (/Lang)")
	}
}

// TestPDFCopiesEveryLetterBack sets every letter of the Urdu, Pashto and
// Dari alphabets alone, at the start, in the middle and at the end of a
// word, and reads each word back from the PDF. Many of these forms (ٹ ړ ګ
// ښ ۍ in the middle of a word, …) have no code point of their own; they
// came back as U+FFFD before the font mapped its shaped forms.
func TestPDFCopiesEveryLetterBack(t *testing.T) {
	var words []string
	seen := map[rune]bool{}
	for _, r := range urduLetters + pashtoLetters + dariLetters {
		if seen[r] {
			continue
		}
		seen[r] = true
		l := string(r)
		words = append(words, l, "ب"+l)
		// Noto Naskh Arabic draws ں at the start or in the middle of a word
		// with the glyph of ى, and the glyph can copy out as only one of
		// them; Urdu writes ں only at the end of a word.
		if r != 'ں' {
			words = append(words, l+"ب", "ب"+l+"ب")
		}
	}
	text := strings.Join(words, " ")
	lang := testLanguage{tag: "ps", rtl: true, messages: map[string]string{"reports.no_data": text}}
	s := models.WeeklySummary{Week: "2026-W47", Revision: 1, From: models.NewDate(2026, 11, 16), To: models.NewDate(2026, 11, 22)}
	pdf, err := models.RenderWeeklySummary(s, "pdf", lang)
	if err != nil {
		t.Fatal(err)
	}
	got := pdfToText(t, pdf)
	if strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("pdftotext read U+FFFD for a letter:\n%s", got)
	}
	read := map[string]bool{}
	for _, w := range strings.Fields(got) {
		read[w] = true
	}
	for _, w := range words {
		if !read[w] {
			t.Errorf("pdftotext did not read %q (%+q) back", w, w)
		}
	}
}

// TestPDFFromLaidOutTextIsTheSame writes the same Pashto PDF twice: the
// second time its text comes from the layouts kept from the first, and
// every word must be the same and in the same place. (The bytes may
// differ: the PDF's creation date and its embedded font subsets carry the
// second they were written at.)
func TestPDFFromLaidOutTextIsTheSame(t *testing.T) {
	lang := testLanguage{tag: "ps", rtl: true, eastern: true, messages: map[string]string{"reports.no_data": "د دې اونۍ لپاره هېڅ شمېرې نه دي راپور شوې Torkham 2026-W47"}}
	s := models.WeeklySummary{Week: "2026-W47", Revision: 1, From: models.NewDate(2026, 11, 16), To: models.NewDate(2026, 11, 22)}
	first, err := models.RenderWeeklySummary(s, "pdf", lang)
	if err != nil {
		t.Fatal(err)
	}
	second, err := models.RenderWeeklySummary(s, "pdf", lang)
	if err != nil {
		t.Fatal(err)
	}
	a, b := pdfWordBoxes(t, first), pdfWordBoxes(t, second)
	if !strings.Contains(a, "Torkham") {
		t.Fatalf("the first PDF lacks its text:\n%s", a)
	}
	if a != b {
		t.Errorf("the second PDF, from text laid out before, differs from the first:\n%s\n---\n%s", a, b)
	}
}

// pdfWordBoxes lists every word of a PDF with its box on the page, from
// pdftotext -bbox.
func pdfWordBoxes(t *testing.T, pdf []byte) string {
	t.Helper()
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		pdfToText(t, pdf) // fails or skips loudly, as the other PDF tests
	}
	cmd := exec.Command(pdftotext, "-bbox", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "<word ") {
			words = append(words, strings.TrimSpace(line))
		}
	}
	return strings.Join(words, "\n")
}
