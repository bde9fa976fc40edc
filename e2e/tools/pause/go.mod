module dev.slm.fleet/e2e/tools/pause

go 1.24.0
