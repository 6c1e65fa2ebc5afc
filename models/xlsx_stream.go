package models

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// XLSXStream writes a one-sheet workbook straight into w as a zip stream,
// row by row: nothing but the current rows' XML is held in memory, so a
// download of any length costs the same. It is for exports too long for
// excelize, which builds the whole file before sending it.
type XLSXStream struct {
	zip   *zip.Writer
	sheet io.Writer
	cols  []XLSXColumn
	refs  []string // the columns' letters
	buf   bytes.Buffer
	num   []byte // a number's digits, reused
	row   int
	err   error
}

// XLSXColumn is a column of an XLSXStream: its header and width in
// characters.
type XLSXColumn struct {
	Name  string
	Width float64
}

// XLSXMeta is the workbook's document properties (docProps/core.xml):
// what it is, how to cite it and under which licence, as the weekly
// summaries' workbooks carry them.
type XLSXMeta struct {
	Title, Subject, Description, Keywords, Identifier, Creator, Language string
	Created                                                              time.Time
}

// Style indexes of the workbook's cellXfs (xlsxStyles).
const (
	xlsxStyleDate   = 1
	xlsxStyleHeader = 2
)

// xlsxFlushBytes is how much sheet XML is gathered before it goes to the
// compressor.
const xlsxFlushBytes = 32 << 10

// xlsxEpoch is day 0 of a spreadsheet's date serial numbers in the 1900
// date system, right for every day from 1900-03-01 on (Excel counts a
// 29 February 1900 that never was).
var xlsxEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// NewXLSXStream writes the workbook's fixed parts and the sheet's header
// row (bold, frozen) to w. Write the rows with Row, then Close.
func NewXLSXStream(w io.Writer, sheetName string, cols []XLSXColumn, meta XLSXMeta) (*XLSXStream, error) {
	s := &XLSXStream{zip: zip.NewWriter(w), cols: cols, refs: make([]string, len(cols))}
	for i := range cols {
		s.refs[i] = xlsxColumnName(i + 1)
	}
	created := meta.Created.UTC()
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", xlsxContentTypes},
		{"_rels/.rels", xlsxRootRels},
		{"docProps/core.xml", xlsxCore(meta, created)},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="` + xmlEscape(sheetName) + `" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", xlsxWorkbookRels},
		{"xl/styles.xml", xlsxStyles},
	}
	for _, p := range parts {
		part, err := s.zip.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Deflate, Modified: created})
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(part, p.body); err != nil {
			return nil, err
		}
	}
	sheet, err := s.zip.CreateHeader(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, Modified: created})
	if err != nil {
		return nil, err
	}
	s.sheet = sheet
	b := &s.buf
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheetViews><sheetView tabSelected="1" workbookViewId="0">` +
		`<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>` +
		`<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>` +
		`<sheetFormatPr defaultRowHeight="15"/><cols>`)
	for i, c := range cols {
		fmt.Fprintf(b, `<col min="%d" max="%d" width="%s" customWidth="1"/>`, i+1, i+1, strconv.FormatFloat(c.Width, 'f', -1, 64))
	}
	b.WriteString(`</cols><sheetData>`)
	s.row = 1
	s.startRow()
	for i, c := range cols {
		s.text(i, c.Name, xlsxStyleHeader)
	}
	s.endRow()
	return s, s.err
}

// Row writes the next row, a value per column: string as text (written
// literally: an inline string is never run as a formula), int, int64 and
// float64 as numbers, bool as TRUE/FALSE, Date as a date; nil, a nil
// pointer and a NaN or infinite number leave the cell empty. It returns
// the first error of writing to w, then keeps returning it.
func (s *XLSXStream) Row(values ...any) error {
	if s.err != nil {
		return s.err
	}
	if len(values) > len(s.cols) {
		return fmt.Errorf("xlsx row %d has %d values for %d columns", s.row+1, len(values), len(s.cols))
	}
	s.row++
	s.startRow()
	for i, v := range values {
		switch x := v.(type) {
		case nil:
		case string:
			s.text(i, x, 0)
		case int:
			s.number(i, strconv.AppendInt(s.num[:0], int64(x), 10), 0)
		case int64:
			s.number(i, strconv.AppendInt(s.num[:0], x, 10), 0)
		case float64:
			s.float(i, x)
		case *float64:
			if x != nil {
				s.float(i, *x)
			}
		case bool:
			s.cellStart(i, 0, "b")
			if x {
				s.buf.WriteString("<v>1</v></c>")
			} else {
				s.buf.WriteString("<v>0</v></c>")
			}
		case Date:
			if !x.IsZero() {
				days := int64(x.t.Sub(xlsxEpoch) / (24 * time.Hour))
				s.number(i, strconv.AppendInt(s.num[:0], days, 10), xlsxStyleDate)
			}
		default:
			// A half-written row would make the file unreadable: stop here.
			s.err = fmt.Errorf("xlsx row %d column %d: cannot write a %T", s.row, i+1, v)
			return s.err
		}
	}
	s.endRow()
	return s.err
}

// Close ends the sheet and the zip; without it the file is cut off.
func (s *XLSXStream) Close() error {
	if s.err != nil {
		return s.err
	}
	s.buf.WriteString(`</sheetData></worksheet>`)
	s.flush()
	if s.err != nil {
		return s.err
	}
	s.err = s.zip.Close()
	return s.err
}

func (s *XLSXStream) startRow() {
	s.buf.WriteString(`<row r="`)
	s.buf.Write(strconv.AppendInt(s.buf.AvailableBuffer(), int64(s.row), 10))
	s.buf.WriteString(`">`)
}

func (s *XLSXStream) endRow() {
	s.buf.WriteString(`</row>`)
	if s.buf.Len() >= xlsxFlushBytes {
		s.flush()
	}
}

func (s *XLSXStream) flush() {
	if s.err == nil {
		_, s.err = s.sheet.Write(s.buf.Bytes())
	}
	s.buf.Reset()
}

// cellStart opens column i's cell of the current row with a style (0 for
// none) and a type ("" for a number).
func (s *XLSXStream) cellStart(i, style int, typ string) {
	b := &s.buf
	b.WriteString(`<c r="`)
	b.WriteString(s.refs[i])
	b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(s.row), 10))
	b.WriteByte('"')
	if style != 0 {
		b.WriteString(` s="`)
		b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(style), 10))
		b.WriteByte('"')
	}
	if typ != "" {
		b.WriteString(` t="`)
		b.WriteString(typ)
		b.WriteByte('"')
	}
	b.WriteByte('>')
}

// number writes a numeric cell of digits (s.num, kept for the next one).
func (s *XLSXStream) number(i int, digits []byte, style int) {
	s.num = digits
	s.cellStart(i, style, "")
	s.buf.WriteString("<v>")
	s.buf.Write(digits)
	s.buf.WriteString("</v></c>")
}

func (s *XLSXStream) float(i int, x float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return
	}
	// Written as the CSV writes it, so the two downloads agree digit for digit.
	s.number(i, strconv.AppendFloat(s.num[:0], x, 'f', -1, 64), 0)
}

func (s *XLSXStream) text(i int, v string, style int) {
	s.cellStart(i, style, "inlineStr")
	if v != strings.TrimSpace(v) {
		s.buf.WriteString(`<is><t xml:space="preserve">`)
	} else {
		s.buf.WriteString(`<is><t>`)
	}
	_ = xml.EscapeText(&s.buf, []byte(v))
	s.buf.WriteString(`</t></is></c>`)
}

// xlsxColumnName is the letters of the 1-based column n: A, …, Z, AA, ….
func xlsxColumnName(n int) string {
	var name []byte
	for ; n > 0; n = (n - 1) / 26 {
		name = append([]byte{byte('A' + (n-1)%26)}, name...)
	}
	return string(name)
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func xlsxCore(m XLSXMeta, created time.Time) string {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ` +
		`xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" ` +
		`xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`)
	for _, e := range []struct{ tag, v string }{{"dc:title", m.Title}, {"dc:subject", m.Subject}, {"dc:creator", m.Creator},
		{"cp:keywords", m.Keywords}, {"dc:description", m.Description}, {"dc:language", m.Language}, {"dc:identifier", m.Identifier}} {
		if e.v != "" {
			fmt.Fprintf(&b, "<%s>%s</%s>", e.tag, xmlEscape(e.v), e.tag)
		}
	}
	stamp := created.Format(time.RFC3339)
	fmt.Fprintf(&b, `<dcterms:created xsi:type="dcterms:W3CDTF">%s</dcterms:created>`, stamp)
	fmt.Fprintf(&b, `<dcterms:modified xsi:type="dcterms:W3CDTF">%s</dcterms:modified>`, stamp)
	b.WriteString(`</cp:coreProperties>`)
	return b.String()
}

const xlsxContentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
	`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
	`<Default Extension="xml" ContentType="application/xml"/>` +
	`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
	`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
	`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
	`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
	`</Types>`

const xlsxRootRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
	`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
	`</Relationships>`

const xlsxWorkbookRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
	`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
	`</Relationships>`

// xlsxStyles has three cell formats: 0 plain, 1 (xlsxStyleDate) a date
// as yyyy-mm-dd, 2 (xlsxStyleHeader) bold.
const xlsxStyles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
	`<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>` +
	`<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
	`<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>` +
	`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
	`<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
	`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
	`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>` +
	`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` +
	`</styleSheet>`
