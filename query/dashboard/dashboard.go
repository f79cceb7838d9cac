// Package dashboard is the merchant's web page: one embedded HTML file with vanilla
// JavaScript (no build step) holding two screens, Order Sync (the order table) and
// Order Settings, talking to the query API with the bearer token the person gives.
package dashboard

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

//go:embed index.html
var HTML []byte

// Handler serves the page.
func Handler(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	return c.Send(HTML)
}
