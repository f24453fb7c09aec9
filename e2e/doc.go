// Package e2e holds end-to-end tests: the real ecsconsole binary, started as
// a separate process, driven by headless Chromium (chromedp) and by awscli
// (awscli-journey.sh).
package e2e
