// Package borderflow embeds the templates and static assets, so that the
// binary carries everything it serves.
package borderflow

import "embed"

// Files holds templates/ and static/.
//
//go:embed templates static
var Files embed.FS

// Methodology is docs/METHODOLOGY.md, which /method shows so that every
// published estimate links to the method it was computed with.
//
//go:embed docs/METHODOLOGY.md
var Methodology string
