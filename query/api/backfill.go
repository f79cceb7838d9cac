package api

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/synco-dev/synco/schemas"
)

// BackfillJobs are the shops' jobs as the topic synco.jobs has them (query/jobs).
type BackfillJobs interface {
	Latest(shop, kind string) (schemas.Job, bool)
	Ready() bool
}

// Backfill routes (README, "HTTP"):
//
//   - POST /api/shops/{shop}/backfill {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"} (to
//     optional: until now; days are UTC, to inclusive) → 202 {"job_id", "status":
//     "queued", "from", "to"}. Ingest runs it: the same range asked again resumes it
//     from its checkpoint (the job id is the range). 409 when the shop has no Admin
//     API token (Synco cannot read its orders).
//   - GET /api/shops/{shop}/backfill → {"job": null} before any, else the shop's most
//     recent backfill: status (running, done, failed, interrupted), its range,
//     checkpoint, mode (pages or bulk), processed and emitted counts, fraction of the
//     range covered, orders per second and eta_seconds while running, error.
func (s *server) backfillRoutes(api fiber.Router, sh string) {
	api.Post(sh+"/backfill", s.shop(s.startBackfill))
	api.Get(sh+"/backfill", s.shop(s.getBackfill))
}

type backfillBody struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// POST /api/shops/{shop}/backfill
func (s *server) startBackfill(c *fiber.Ctx, shop string) error {
	var b backfillBody
	if fields, err := decodeStrict(c.Body(), &b); err != nil {
		return badRequest(c, err.Error(), fields)
	}
	b.From, b.To = strings.TrimSpace(b.From), strings.TrimSpace(b.To)
	if b.From == "" {
		return badRequest(c, "a backfill needs a first day", map[string]string{"from": "required, YYYY-MM-DD"})
	}
	from, to, err := schemas.BackfillRange(b.From, b.To)
	if err != nil {
		field := "from"
		if strings.HasPrefix(err.Error(), "to ") {
			field = "to"
		}
		return badRequest(c, err.Error(), map[string]string{field: err.Error()})
	}
	if s.d.ShopifyAPI != nil && !s.d.ShopifyAPI(shop) {
		return fail(c, fiber.StatusConflict, "this shop has no Admin API token in Synco's config: Synco cannot read its orders from Shopify", nil)
	}
	id := schemas.BackfillID(b.From, b.To)
	req := schemas.SyncRequest{RequestID: id, Shop: shop, OrderIDs: []int64{}, Kind: schemas.RequestBackfill, From: &from,
		RequestedBy: token(c).name, RequestedAt: time.Now().UTC().Truncate(time.Millisecond)}
	if !to.IsZero() {
		req.To = &to
	}
	ctx, cancel := reqCtx(c)
	defer cancel()
	if err := s.d.Requests.RequestSync(ctx, req); err != nil {
		s.log.Error("backfill request not published", "shop", shop, "err", err)
		return fail(c, fiber.StatusServiceUnavailable, "could not queue the backfill, try again: "+err.Error(), nil)
	}
	s.log.Info("backfill requested", "shop", shop, "job_id", id, "by", req.RequestedBy)
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"job_id": id, "status": "queued", "from": b.From, "to": nullable(b.To)})
}

// backfillView is a job as GET /backfill answers it.
type backfillView struct {
	JobID      string           `json:"job_id"`
	Status     string           `json:"status"`
	From       *string          `json:"from"`
	To         *string          `json:"to"`
	Checkpoint *string          `json:"checkpoint"`
	Mode       string           `json:"mode"`
	Processed  int64            `json:"processed"`
	Emitted    int64            `json:"emitted"`
	Fraction   float64          `json:"fraction"`
	Rate       float64          `json:"orders_per_second"`
	ETASeconds *int64           `json:"eta_seconds"`
	Counts     map[string]int64 `json:"counts"`
	StartedAt  string           `json:"started_at"`
	UpdatedAt  string           `json:"updated_at"`
	FinishedAt *string          `json:"finished_at"`
	Error      *string          `json:"error"`
	// RequestedBy is the API token's name that asked for it, or "cli" (synco backfill):
	// an interrupted one of the API resumes by itself, a CLI one by its command.
	RequestedBy string `json:"requested_by"`
}

// GET /api/shops/{shop}/backfill
func (s *server) getBackfill(c *fiber.Ctx, shop string) error {
	switch {
	case s.d.Jobs == nil:
		return fail(c, fiber.StatusServiceUnavailable, "this query service does not read the jobs topic", nil)
	case !s.d.Jobs.Ready():
		return fail(c, fiber.StatusServiceUnavailable, "still reading the jobs topic, try again in a moment", nil)
	}
	j, ok := s.d.Jobs.Latest(shop, schemas.JobBackfill)
	if !ok {
		return c.JSON(fiber.Map{"job": nil})
	}
	return c.JSON(fiber.Map{"job": viewOf(j)})
}

func viewOf(j schemas.Job) backfillView {
	v := backfillView{JobID: j.JobID, Status: j.Status, From: day(j.From, 0), Checkpoint: stamp(j.Checkpoint), Mode: j.Mode,
		Processed: j.Processed, Emitted: j.Emitted, Counts: j.Counts, StartedAt: j.StartedAt.UTC().Format(time.RFC3339),
		UpdatedAt: j.UpdatedAt.UTC().Format(time.RFC3339), FinishedAt: stamp(j.FinishedAt), Error: nullable(j.Error),
		RequestedBy: j.RequestedBy}
	if v.Counts == nil {
		v.Counts = map[string]int64{}
	}
	// to is exclusive in the job, a last day (inclusive) here, as it was asked.
	v.To = day(j.To, -time.Nanosecond)
	if j.From != nil && j.To != nil && j.To.After(*j.From) && j.Checkpoint != nil {
		v.Fraction = min(1, max(0, float64(j.Checkpoint.Sub(*j.From))/float64(j.To.Sub(*j.From))))
	}
	if el := j.UpdatedAt.Sub(j.StartedAt).Seconds(); el > 0 {
		v.Rate = float64(j.Processed) / el
	}
	if j.Status == schemas.JobRunning && v.Fraction > 0 && v.Fraction < 1 {
		eta := int64(j.UpdatedAt.Sub(j.StartedAt).Seconds() * (1 - v.Fraction) / v.Fraction)
		v.ETASeconds = &eta
	}
	if j.Status == schemas.JobDone {
		v.Fraction = 1
	}
	return v
}

func day(t *time.Time, shift time.Duration) *string {
	if t == nil {
		return nil
	}
	d := t.Add(shift).UTC().Format(time.DateOnly)
	return &d
}

func stamp(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
