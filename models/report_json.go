package models

import (
	"encoding/json"
	"fmt"
	"io"
)

// writeSummaryJSON writes the summary as indented JSON: the data itself,
// with the API's field names.
func writeSummaryJSON(w io.Writer, s WeeklySummary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the summary: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
