async def run(workdir, sizes): return ""
