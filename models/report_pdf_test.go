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

// TestPDFSetsArabicScript renders a summary whose labels are in Dari,
// shaped right to left (one line mixing in digits), and reads
// the words back with pdftotext. Letters without an Arabic presentation
// form in the font (Urdu's heh goal, several Pashto letters) are drawn
// shaped but come back from pdftotext as U+FFFD: the PDF maps glyphs to
// text through the font's cmap.
func TestPDFSetsArabicScript(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		msg := "PDF text test NOT RUN: no pdftotext (apt-get install poppler-utils)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("!!! " + msg + " !!!")
	}
	const dari = "گزارش هفتگی تورخم"                       // Torkham weekly report
	const mixed = "وضعیت گذرگاه تورخم در هفته 47 سال 2026" // Torkham crossing status in week 47 of 2026
	text := func(id string, args ...any) string {
		switch id {
		case "reports.title_all":
			return dari
		case "reports.no_data":
			return mixed
		}
		return id
	}
	s := models.WeeklySummary{Week: "2026-W47", Revision: 1, From: models.NewDate(2026, 11, 16), To: models.NewDate(2026, 11, 22)}
	pdf, err := models.RenderWeeklySummary(s, "pdf", text)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pdftotext, "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	got := norm.NFKC.String(string(out))
	for _, word := range strings.Fields(dari + " " + mixed) {
		if !strings.Contains(got, word) {
			t.Errorf("pdftotext lost %q; it read:\n%s", word, got)
		}
	}
}
