from django.core.management.base import BaseCommand, CommandError

from demo.seed import DemoSeedError, demo_seed


class Command(BaseCommand):
    help = (
        "Loads a realistic demo bank (head office, tier-1 branches, sub-branches, outlets, lobby "
        "managers and M months of records ending with last month) through the real importer, and "
        "creates the demo sign-ins. The same seed gives the same data. Refuses a database that "
        "holds data unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument("--months", type=int, default=12, help="months of records (default 12)")
        parser.add_argument("--staff", type=int, default=80, help="lobby managers (default 80)")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="first delete the demo's data: records, staff, branches, targets, periods, scorecards, "
            "import batches, history and all sign-ins except superusers",
        )
        parser.add_argument("--output", metavar="DIR", help="keep the generated import files in DIR")

    def handle(self, *args, **options):
        try:
            demo_seed(
                seed=options["seed"],
                months=options["months"],
                staff=options["staff"],
                reset=options["reset"],
                output=options["output"],
                stdout=self.stdout,
            )
        except DemoSeedError as error:
            raise CommandError(str(error))
