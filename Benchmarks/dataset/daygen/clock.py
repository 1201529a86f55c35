"""Calendar of the dataset: four UTC days, work-hour sampling in each person's time zone."""
import calendar
import time

#: Monday 2025-11-17 00:00:00 UTC, the first day of history.
DAY0 = calendar.timegm((2025, 11, 17, 0, 0, 0))
DAY = 86400
#: Days 0..2 are history (learning), day 3 is the day of interest.
DAYS = 4
LAST = DAYS - 1

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_start(d):
    """Epoch seconds of 00:00 UTC of day d (0-based)."""
    return DAY0 + d * DAY


def at(d, hh, mm=0, ss=0.0):
    """Epoch seconds of day d at hh:mm:ss UTC."""
    return DAY0 + d * DAY + hh * 3600 + mm * 60 + ss


def iso(ts):
    """RFC 3339 UTC with milliseconds, e.g. 2025-11-20T13:05:00.123Z."""
    ms = int(round(ts * 1000))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


def named_time(ts):
    """BIND's print-time format, 20-Nov-2025 13:05:00.123 (the server runs in UTC)."""
    ms = int(round(ts * 1000))
    t = time.gmtime(ms // 1000)
    return "%02d-%s-%04d %02d:%02d:%02d.%03d" % (t.tm_mday, MONTHS[t.tm_mon - 1], t.tm_year,
                                                  t.tm_hour, t.tm_min, t.tm_sec, ms % 1000)


def work_times(rng, d, tz, n, start=(8.25, 10.0), end=(16.75, 18.75)):
    """n sorted event times (epoch seconds) within one working day of day d, local time zone
    `tz` hours from UTC: the day starts uniformly in `start`, ends in `end` (local hours), with
    fewer events over lunch (12:00-13:00). Times are clamped into UTC day d."""
    s = rng.uniform(*start)
    e = rng.uniform(*end)
    lo = day_start(d)
    out = []
    for _ in range(n):
        h = rng.uniform(s, e)
        if 12.0 <= h < 13.0 and rng.random() < 0.65:
            h = rng.uniform(s, e)
        t = lo + (h - tz) * 3600.0
        out.append(min(max(t, lo + 1.0), lo + DAY - 1.0))
    out.sort()
    return out


def window(lo, hi, rng, n):
    """n sorted uniform times in [lo, hi)."""
    return sorted(rng.uniform(lo, hi) for _ in range(n))
