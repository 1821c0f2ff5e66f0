# Reference values for src/stats/reml.rs from lme4 (Debian r-cran-lme4).
# Run: Rscript tests/reference/reml_lme4.R  (from the project root)
# Writes tests/reference/reml_ratings.csv (the incomplete rating tables, long format) and
# tests/reference/reml_lme4.csv (REML variance components, REML criterion, and the profiled
# REML criterion at given relative standard deviations theta, from lme4's deviance function;
# rows of kind profile_interval_95 carry the ICC's profile interval as lower in sigma2_target,
# upper in sigma2_rater and the ICC itself in sigma2_error).
suppressPackageStartupMessages(library(lme4))

# Table 1: Shrout & Fleiss (1979) Table 2 ratings with four cells removed.
sf <- matrix(c(9, 2, 5, 8,  6, 1, 3, 2,  8, 4, 6, 8,  7, 1, 2, 6,  10, 5, 6, 9,  6, 2, 4, 7),
             nrow = 6, byrow = TRUE)
sf_long <- data.frame(table = "sf_incomplete", target = rep(1:6, each = 4),
                      rater = rep(1:4, 6), y = as.vector(t(sf)))
sf_long <- sf_long[-c(2, 11, 16, 21), ]

# Table 2: 40 targets x 6 raters, target SD 2, rater SD 1, residual SD 1, 25% missing.
set.seed(20261204)
n <- 40; k <- 6
a <- rnorm(n, 0, 2); b <- rnorm(k, 0, 1)
sim <- expand.grid(rater = 1:k, target = 1:n)
sim$y <- round(10 + a[sim$target] + b[sim$rater] + rnorm(n * k), 6)
sim <- sim[runif(n * k) > 0.25, ]
sim_long <- data.frame(table = "sim_40x6", target = sim$target, rater = sim$rater, y = sim$y)

# Table 3: 25 targets x 3 raters with little target variance (a boundary-near case).
a3 <- rnorm(25, 0, 0.3); b3 <- rnorm(3, 0, 0.5)
t3 <- expand.grid(rater = 1:3, target = 1:25)
t3$y <- round(a3[t3$target] + b3[t3$rater] + rnorm(75), 6)
t3 <- t3[runif(75) > 0.2, ]
t3_long <- data.frame(table = "sim_25x3_weak", target = t3$target, rater = t3$rater, y = t3$y)

ratings <- rbind(sf_long, sim_long, t3_long)
write.csv(ratings, "tests/reference/reml_ratings.csv", row.names = FALSE)

rows <- list()
for (tab in unique(ratings$table)) {
  d <- ratings[ratings$table == tab, ]
  d$target <- factor(d$target); d$rater <- factor(d$rater)
  models <- list(
    one_way = y ~ 1 + (1 | target),
    two_way_random = y ~ 1 + (1 | target) + (1 | rater),
    two_way_mixed = y ~ rater + (1 | target))
  for (m in names(models)) {
    ctrl <- lmerControl(optimizer = "bobyqa",
                        optCtrl = list(rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e5),
                        check.conv.singular = "ignore")
    fit <- lmer(models[[m]], data = d, REML = TRUE, control = ctrl)
    vc <- as.data.frame(VarCorr(fit))
    s2_t <- vc$vcov[vc$grp == "target"]
    s2_r <- if (any(vc$grp == "rater")) vc$vcov[vc$grp == "rater"] else 0
    s2_e <- vc$vcov[vc$grp == "Residual"]
    # The profiled REML criterion at a few theta = (sd_target, sd_rater) / sd_residual.
    dev <- lmer(models[[m]], data = d, REML = TRUE, control = ctrl, devFunOnly = TRUE)
    # lme4 orders random-effect terms by decreasing number of levels: target before rater.
    thetas <- if (m == "two_way_random") list(c(0.5, 0.3), c(1.5, 0), c(0, 0.8))
              else list(c(0.5), c(1.5), c(0))
    for (th in thetas) {
      rows[[length(rows) + 1]] <- data.frame(
        table = tab, model = m, kind = "criterion_at",
        theta_target = th[1], theta_rater = if (length(th) > 1) th[2] else 0,
        sigma2_target = NA, sigma2_rater = NA, sigma2_error = NA, criterion = dev(th))
    }
    rows[[length(rows) + 1]] <- data.frame(
      table = tab, model = m, kind = "fit", theta_target = NA, theta_rater = NA,
      sigma2_target = s2_t, sigma2_rater = s2_r, sigma2_error = s2_e,
      criterion = REMLcrit(fit))

    # The 95% profile-likelihood interval of the single-rating ICC, from lme4's deviance
    # function: rho = s2_t / (s2_t + s2_e) (one-way, mixed) or s2_t / (s2_t + s2_r + s2_e).
    crit_min <- REMLcrit(fit)
    cut <- qchisq(0.95, 1)
    profile <- function(rho) {
      if (m == "two_way_random") {
        f <- function(tr) dev(c(sqrt(rho * (1 + tr^2) / (1 - rho)), tr))
        optimize(f, c(0, 30), tol = 1e-12)$objective
      } else {
        dev(sqrt(rho / (1 - rho)))
      }
    }
    rho_hat <- if (m == "two_way_random") s2_t / (s2_t + s2_r + s2_e) else s2_t / (s2_t + s2_e)
    g <- function(rho) profile(rho) - crit_min - cut
    lower <- if (g(0) <= 0) 0 else uniroot(g, c(0, rho_hat), tol = 1e-12)$root
    upper <- uniroot(g, c(rho_hat, 1 - 1e-9), tol = 1e-12)$root
    rows[[length(rows) + 1]] <- data.frame(
      table = tab, model = m, kind = "profile_interval_95", theta_target = NA,
      theta_rater = NA, sigma2_target = lower, sigma2_rater = upper, sigma2_error = rho_hat,
      criterion = NA)
  }
}
out <- do.call(rbind, rows)
out$lme4_version <- as.character(packageVersion("lme4"))
out$r_version <- paste(R.version$major, R.version$minor, sep = ".")
write.csv(out, "tests/reference/reml_lme4.csv", row.names = FALSE)
