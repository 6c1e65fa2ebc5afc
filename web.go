// Package borderflow embeds the templates and static assets, so that the
// binary carries everything it serves.
package borderflow

import "embed"

// Files holds templates/ and static/.
//
//go:embed templates static
var Files embed.FS
