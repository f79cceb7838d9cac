package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// RunStages runs stages until ctx ends or one fails; a failure stops the others.
func RunStages(ctx context.Context, rt *Runtime, stages ...Stage) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs error
	)
	for _, s := range stages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Run(ctx)
			if err != nil && ctx.Err() == nil {
				rt.Log.Error("stage stopped", "stage", s.Name, "err", err)
				mu.Lock()
				errs = errors.Join(errs, fmt.Errorf("%s: %w", s.Name, err))
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	return errs
}
