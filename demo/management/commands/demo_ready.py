from django.core.management import call_command
from django.core.management.base import BaseCommand

from appraisals.models import Period, PeriodStatus
from appraisals.services.periods import period_finalize
from core.urls import absolute_url
from metrics.selectors import record_months
from staff.models import Branch


class Command(BaseCommand):
    help = (
        "Used by `make run`: loads the demo bank into an empty database, computes every month "
        "with records that is not computed yet, and prints how to sign in."
    )

    def handle(self, *args, **options):
        seeded = not Branch.objects.exists()
        if seeded:
            self.stdout.write("The database is empty: loading the demo bank (seed_demo)…")
            call_command("seed_demo", stdout=self.stdout)
        computed = set(Period.objects.exclude(status=PeriodStatus.DRAFT).values_list("month", flat=True))
        months = [month for month in record_months() if month not in computed]
        for month in months:
            # In order: each month's rolling score reads the two before it (SCORING.md §5).
            call_command("compute_scorecards", f"{month:%Y-%m}", "--no-cascade", stdout=self.stdout)
        if seeded:
            # As a bank would have it: every month but the latest is finalized, the latest
            # waits for review.
            for period in Period.objects.order_by("month")[: max(Period.objects.count() - 1, 0)]:
                period_finalize(month=period.month)
        latest = Period.objects.order_by("-month").first()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"LobbyStar 大堂之星 is ready at {absolute_url('/')}"))
        self.stdout.write("  Sign in as HR:            hr / lobbystar-demo")
        self.stdout.write("  a branch head:            head-<sub-branch code> / lobbystar-demo")
        self.stdout.write("  a lobby manager:          <employee number> / lobbystar-demo")
        if latest:
            self.stdout.write(
                f"  Latest month: {latest.label} ({latest.get_status_display()}), {latest.scorecard_count} scorecards"
            )
        self.stdout.write(f"  Admin: {absolute_url('/admin/')}   Health: {absolute_url('/healthz')}")
