"""What every app uses: months and their labels, number formatting, one error type, bulk SQL,
and the framework of file imports."""
