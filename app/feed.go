package app

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// feedSize is how many status changes a feed carries.
const feedSize = 50

// feedTag starts every Atom ID: a tag URI (RFC 4151) stays the same
// whatever address the site is served from.
const feedTag = "tag:borderflow,2026:"

// atomFeed is an Atom 1.0 feed (RFC 4287) of status changes.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomPerson  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID        string   `xml:"id"`
	Title     string   `xml:"title"`
	Updated   string   `xml:"updated"`
	Published string   `xml:"published"`
	Link      atomLink `xml:"link"`
	Content   atomText `xml:"content"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

// showFeed answers GET /feed.atom: the status changes of every public crossing.
func (a *App) showFeed(c echo.Context) error {
	crossings, err := models.ActiveCrossings(c.Request().Context(), a.db)
	if err != nil {
		return err
	}
	l := a.locale(c)
	return a.sendFeed(c, l, crossings, atomFeed{
		ID:    feedTag + "feed",
		Title: l.T("feed.title_all"),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: a.absoluteURL("/feed.atom")},
			{Rel: "alternate", Type: "text/html", Href: a.absoluteURL("/")},
		},
	})
}

// showCrossingFeed answers GET /crossings/{slug}/feed.atom.
func (a *App) showCrossingFeed(c echo.Context) error {
	crossing, err := models.PublicCrossingBySlug(c.Request().Context(), a.db, c.Param("slug"))
	if err != nil {
		return err
	}
	l := a.locale(c)
	page := "/crossings/" + crossing.Slug
	return a.sendFeed(c, l, []models.Crossing{crossing}, atomFeed{
		ID:    feedTag + "crossing/" + crossing.Slug,
		Title: l.T("feed.title_crossing", "Crossing", crossing.Name),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: a.absoluteURL(page + "/feed.atom")},
			{Rel: "alternate", Type: "text/html", Href: a.absoluteURL(page)},
		},
	})
}

// sendFeed fills feed with the latest status changes of the crossings in
// effect now, newest first, and sends it. An empty feed is as new as its
// newest crossing, so that its ETag holds still.
func (a *App) sendFeed(c echo.Context, l *Locale, crossings []models.Crossing, feed atomFeed) error {
	byID := make(map[int64]models.Crossing, len(crossings))
	ids := make([]int64, len(crossings))
	var updated time.Time
	for i, cr := range crossings {
		byID[cr.ID], ids[i] = cr, cr.ID
		if cr.CreatedAt.After(updated) {
			updated = cr.CreatedAt
		}
	}
	changes, err := models.RecentStatusChanges(c.Request().Context(), a.db, ids, a.now(), feedSize)
	if err != nil {
		return err
	}
	if len(changes) > 0 {
		updated = changes[0].EffectiveAt
	}
	feed.Lang, feed.Updated = l.Lang(), rfc3339UTC(updated)
	feed.Author = atomPerson{Name: l.T("site.name")}
	for _, s := range changes {
		cr := byID[s.CrossingID]
		feed.Entries = append(feed.Entries, atomEntry{
			ID:        fmt.Sprintf("%sstatus-change/%d", feedTag, s.ID),
			Title:     l.T("feed.entry_title", "Crossing", cr.Name, "Status", statusPhrase(l, s)),
			Updated:   rfc3339UTC(s.EffectiveAt),
			Published: rfc3339UTC(s.RecordedAt),
			Link:      atomLink{Rel: "alternate", Type: "text/html", Href: a.absoluteURL("/crossings/" + cr.Slug)},
			Content:   atomText{Type: "text", Text: changeText(l, cr, s)},
		})
	}
	body, err := xml.MarshalIndent(feed, "", "  ")
	if err != nil {
		return fmt.Errorf("encode feed %s: %w", feed.ID, err)
	}
	c.Response().Header().Add(echo.HeaderVary, "Accept-Language")
	return a.sendCacheable(c, "application/atom+xml; charset=utf-8", append([]byte(xml.Header), body...))
}

// statusPhrase says a change's new status in words: "Closed (protest or
// strike)", "Restricted, humanitarian cargo only (documentation or visa rules)".
func statusPhrase(l *Locale, s models.StatusChange) string {
	phrase := l.T("state." + string(s.State))
	if s.Scope != nil {
		phrase = l.T("feed.status_scope", "State", phrase, "Scope", l.T("scope."+string(*s.Scope)))
	}
	if s.Reason != nil {
		phrase = l.T("feed.status_reason", "Status", phrase, "Reason", l.T("reason."+string(*s.Reason)))
	}
	return phrase
}

// changeText is an entry's content: one line each for the crossing, the new
// status, its scope, reason and note, and when it took effect, in the
// crossing's local time with the zone's abbreviation.
func changeText(l *Locale, cr models.Crossing, s models.StatusChange) string {
	lines := []string{
		l.T("feed.crossing", "Crossing", cr.Name),
		l.T("feed.new_status", "State", l.T("state."+string(s.State))),
	}
	if s.Scope != nil {
		lines = append(lines, l.T("feed.scope", "Scope", l.T("scope."+string(*s.Scope))))
	}
	if s.Reason != nil {
		lines = append(lines, l.T("board.reason", "Reason", l.T("reason."+string(*s.Reason))))
	}
	if s.Note != "" {
		lines = append(lines, l.T("feed.note", "Note", s.Note))
	}
	lines = append(lines, l.T("feed.effective", "Time", l.DateTime(s.EffectiveAt, cr.Location())))
	return strings.Join(lines, "\n")
}

// absoluteURL makes a path absolute on the configured public URL; without
// one, the path stays relative (Atom readers resolve it against the feed's).
func (a *App) absoluteURL(path string) string {
	return a.cfg.BaseURL + path
}
