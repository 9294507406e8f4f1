"""The real readers, as judges for mcpctl's differential tests. Run with /usr/bin/python3
(Debian's python3-dotenv and python3-asyncpg). Reads one JSON batch on stdin, answers one JSON
document on stdout, so that hundreds of cases cost one child process.

Batch: {"dotenv": [{"path", "env"}], "asyncpg": [{"host", "port", "user", "database",
"passfile", "connect"}], "libpq": [{"host", "port", "user", "database", "passfile"}]}.
"""
import asyncio
import concurrent.futures
import ctypes
import json
import logging
import os
import pathlib
import sys
import warnings

# Connections in flight at once: enough to hide the round trips, few enough for 2 cores.
CONCURRENCY = 4


def judge_dotenv(cases):
    from dotenv import dotenv_values

    class Collect(logging.Handler):
        def __init__(self):
            super().__init__()
            self.lines = []

        def emit(self, record):
            if 'could not parse' in record.getMessage():
                self.lines.append(record.args[0])

    handler = Collect()
    logging.getLogger('dotenv.main').addHandler(handler)
    logging.getLogger('dotenv.main').propagate = False
    out = []
    saved = dict(os.environ)
    for case in cases:
        handler.lines = []
        os.environ.clear()
        os.environ.update(case.get('env', {}))
        try:
            values = dotenv_values(case['path'])
            out.append({'values': values, 'errorLines': handler.lines})
        except Exception as e:  # noqa: BLE001 - the judge reports whatever the reader does
            out.append({'exception': type(e).__name__})
    os.environ.clear()
    os.environ.update(saved)
    return out


def judge_asyncpg(cases):
    import asyncpg
    from asyncpg import connect_utils

    async def one(case):
        res = {}
        # What asyncpg's own password-file reader returns (its exact text), when it exists.
        reader = getattr(connect_utils, '_read_password_from_pgpass', None)
        if reader is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter('ignore')
                    res['password'] = reader(passfile=pathlib.Path(case['passfile']), hosts=[case['host']],
                                             ports=[case['port']], database=case['database'], user=case['user'])
            except Exception as e:  # noqa: BLE001
                res['readerError'] = type(e).__name__
        if case.get('connect'):
            try:
                conn = await asyncpg.connect(host=case['host'], port=case['port'], user=case['user'],
                                             database=case['database'], passfile=case['passfile'], timeout=10,
                                             ssl=False)
                await conn.close()
                res['connect'] = 'ok'
            except asyncpg.InvalidCatalogNameError:
                res['connect'] = 'ok'  # authenticated; the database just doesn't exist
            except asyncpg.InvalidPasswordError:
                res['connect'] = 'badpassword'
            except Exception as e:  # noqa: BLE001
                msg = str(e)
                res['connect'] = 'nopassword' if 'password' in msg and 'no password' in msg.lower() else 'error'
                res['error'] = type(e).__name__ + ': ' + msg[:200]
        return res

    async def all_cases():
        # Connections overlap (each waits mostly on the server's SCRAM round trips).
        gate = asyncio.Semaphore(CONCURRENCY)

        async def gated(case):
            async with gate:
                return await one(case)

        return await asyncio.gather(*(gated(c) for c in cases))

    return asyncio.run(all_cases())


def judge_libpq(cases):
    """libpq itself (the library psql and pg_dump use): connects, and reports the password
    it took from the password file, byte for byte (PQpass)."""
    lib = ctypes.CDLL('libpq.so.5')
    lib.PQconnectdbParams.restype = ctypes.c_void_p
    lib.PQconnectdbParams.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_char_p), ctypes.c_int]
    lib.PQstatus.argtypes = [ctypes.c_void_p]
    lib.PQerrorMessage.restype = ctypes.c_char_p
    lib.PQerrorMessage.argtypes = [ctypes.c_void_p]
    lib.PQpass.restype = ctypes.c_char_p
    lib.PQpass.argtypes = [ctypes.c_void_p]
    lib.PQfinish.argtypes = [ctypes.c_void_p]

    def one(case):
        params = {'host': case['host'], 'port': str(case['port']), 'dbname': case['database'], 'user': case['user'],
                  'passfile': case['passfile'], 'connect_timeout': '10', 'sslmode': 'disable'}
        keys = (ctypes.c_char_p * (len(params) + 1))(*[k.encode() for k in params], None)
        vals = (ctypes.c_char_p * (len(params) + 1))(*[v.encode('utf-8', 'surrogateescape') for v in params.values()], None)
        conn = lib.PQconnectdbParams(keys, vals, 0)
        status = lib.PQstatus(conn)
        err = (lib.PQerrorMessage(conn) or b'').decode('utf-8', 'replace')
        pw = lib.PQpass(conn)
        lib.PQfinish(conn)
        if status == 0 or 'does not exist' in err:
            outcome = 'ok'
        elif 'no password supplied' in err:
            outcome = 'nopassword'
        elif 'password authentication failed' in err:
            outcome = 'badpassword'
        else:
            outcome = 'error'
        return {'connect': outcome, 'password': pw.hex() if pw else '', 'error': err[:300] if outcome == 'error' else None}

    # ctypes releases the GIL during each call and libpq is thread-safe: connections overlap.
    with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
        return list(pool.map(one, cases))


def main():
    batch = json.load(sys.stdin)
    result = {}
    if 'dotenv' in batch:
        result['dotenv'] = judge_dotenv(batch['dotenv'])
    if 'asyncpg' in batch:
        result['asyncpg'] = judge_asyncpg(batch['asyncpg'])
    if 'libpq' in batch:
        result['libpq'] = judge_libpq(batch['libpq'])
    json.dump(result, sys.stdout)


if __name__ == '__main__':
    main()
