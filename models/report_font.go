package models

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"
	"sync"

	"github.com/tdewolff/canvas"

	"borderflow"
)

// The PDF's faces: DejaVu Sans for Latin script, digits and punctuation;
// Noto Naskh Arabic for Arabic script, which it covers whole (DejaVu Sans
// has no ہ, ے or ۍ, letters of nearly every Urdu or Pashto sentence).
var (
	latinFontFiles = map[canvas.FontStyle]string{
		canvas.FontRegular: "static/fonts/DejaVuSans.ttf",
		canvas.FontBold:    "static/fonts/DejaVuSans-Bold.ttf",
	}
	arabicFontFiles = map[canvas.FontStyle]string{
		canvas.FontRegular: "static/fonts/NotoNaskhArabic-Regular.ttf",
		canvas.FontBold:    "static/fonts/NotoNaskhArabic-Bold.ttf",
	}
)

// reportFontSet is the two families a PDF is written in, with the text
// already laid out in them. Shaping dominates the time to write a PDF
// (canvas shapes every piece of text afresh), and most of the text of a
// week's files repeats: the labels and notes of each crossing's file, the
// words measured to wrap a paragraph.
type reportFontSet struct {
	latin, arabic *canvas.FontFamily
	faces         map[faceKey]faces
	layouts       map[layoutKey]*canvas.Text
}

type faceKey struct {
	size   float64
	bold   bool
	colour color.RGBA
}

type layoutKey struct {
	face  faceKey
	text  string
	width float64
	align canvas.TextAlign
}

// maxLayouts bounds the laid-out text kept while a week's files are
// written.
const maxLayouts = 20000

// The loaded font sets not in use. Loading a set parses four font files;
// a family's shaper is not safe for concurrent use, so each PDF being
// written takes a set of its own.
var (
	reportFontsMu sync.Mutex
	reportFonts   []*reportFontSet
)

// takeReportFonts returns a loaded set; give it back with putReportFonts
// when the PDF is written.
func takeReportFonts() (*reportFontSet, error) {
	reportFontsMu.Lock()
	if n := len(reportFonts); n > 0 {
		set := reportFonts[n-1]
		reportFonts = reportFonts[:n-1]
		reportFontsMu.Unlock()
		return set, nil
	}
	reportFontsMu.Unlock()
	latin, err := loadReportFonts("latin", latinFontFiles)
	if err != nil {
		return nil, err
	}
	arabic, err := loadReportFonts("arabic", arabicFontFiles)
	if err != nil {
		return nil, err
	}
	return &reportFontSet{latin: latin, arabic: arabic, faces: map[faceKey]faces{}, layouts: map[layoutKey]*canvas.Text{}}, nil
}

func putReportFonts(set *reportFontSet) {
	if len(set.layouts) > maxLayouts {
		clear(set.layouts)
	}
	reportFontsMu.Lock()
	reportFonts = append(reportFonts, set)
	reportFontsMu.Unlock()
}

// forgetReportLayouts lets the laid-out text of the idle sets go once a
// week's files are written: little of it recurs the next week, and a
// server should not carry it.
func forgetReportLayouts() {
	reportFontsMu.Lock()
	defer reportFontsMu.Unlock()
	for _, set := range reportFonts {
		clear(set.layouts)
	}
}

// loadReportFonts reads embedded faces into a family.
func loadReportFonts(name string, files map[canvas.FontStyle]string) (*canvas.FontFamily, error) {
	family := canvas.NewFontFamily(name)
	for style, file := range files {
		b, err := borderflow.Files.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read font %s: %w", file, err)
		}
		if err := family.LoadFont(b, 0, style); err != nil {
			return nil, fmt.Errorf("load font %s: %w", file, err)
		}
		mapShapedForms(family.Face(10, style).Font)
	}
	// No ligatures: "fi" stays two letters when a reader copies the text.
	// Arabic script's required ligatures (lam-alef) are not affected.
	family.SetFeatures("liga=0,clig=0")
	return family, nil
}

// mapShapedForms lets a reader copy shaped Arabic script back out of the
// PDF. The PDF writer maps each glyph to text through the font's cmap
// (its ToUnicode table), but the cmap holds only a letter's isolated form
// and the Arabic Presentation Forms that Unicode encodes; the initial,
// medial and final forms of many Urdu and Pashto letters (ټ ړ ګ ښ ۍ, …)
// are glyphs reached only by shaping, with no code point, and came back
// as U+FFFD. Their names say which letter they are (uni0693.fina), so an
// extra cmap subtable maps them back to it. It is consulted after the
// font's own subtables and maps no letter to a glyph, so shaping and every
// glyph the font already maps are as before.
func mapShapedForms(f *canvas.Font) {
	forms := shapedForms{}
	for id := uint16(1); id < f.SFNT.NumGlyphs(); id++ {
		if f.SFNT.Cmap.ToUnicode(id) != 0 {
			continue
		}
		if r, ok := glyphNameLetter(f.SFNT.GlyphName(id)); ok {
			forms[id] = r
		}
	}
	f.SFNT.Cmap.Subtables = append(f.SFNT.Cmap.Subtables, forms)
}

// glyphNameLetter reads the letter a glyph named after one code point
// stands for: uni0693.fina is U+0693. Names of ligatures of several
// letters (uni0651064B) are not read.
func glyphNameLetter(name string) (rune, bool) {
	base, _, _ := strings.Cut(name, ".")
	hex, ok := strings.CutPrefix(base, "uni")
	if !ok || len(hex) != 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(hex, 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}

// shapedForms maps glyphs to the letters they are forms of; it maps no
// letter to a glyph.
type shapedForms map[uint16]rune

func (shapedForms) Get(rune) (uint16, bool) { return 0, false }

func (m shapedForms) ToUnicode(id uint16) (rune, bool) {
	r, ok := m[id]
	return r, ok
}
