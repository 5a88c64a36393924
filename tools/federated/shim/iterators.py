"""Local stand-in for the PyPI package `iterators` (TimeoutIterator only).

PyPI is not reachable on this machine; Flower 1.6.0's gRPC servicer imports
`iterators.TimeoutIterator`. Same constructor and methods as iterators 0.0.2/0.2.0:
a look-ahead thread feeds a queue; next() waits at most `timeout` seconds
(0 = forever) and returns the sentinel when the wait runs out.
"""
import queue
import threading


class TimeoutIterator:
    ZERO_TIMEOUT = 0.0

    def __init__(self, iterator, timeout=0.0, sentinel=object(), reset_on_next=False, raise_on_exception=True):
        self._iterator = iterator
        self._timeout = timeout
        self._sentinel = sentinel
        self._reset_on_next = reset_on_next
        self._raise_on_exception = raise_on_exception
        self._interrupt = False
        self._done = False
        self._buffer = queue.Queue()
        self._thread = threading.Thread(target=self._lookahead, daemon=True)
        self._thread.start()

    def get_sentinel(self):
        return self._sentinel

    def set_reset_on_next(self, reset_on_next):
        self._reset_on_next = reset_on_next

    def set_timeout(self, timeout):
        self._timeout = timeout

    def interrupt(self):
        self._interrupt = True

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        data = self._sentinel
        try:
            if self._timeout > self.ZERO_TIMEOUT:
                data = self._buffer.get(timeout=self._timeout)
            else:
                data = self._buffer.get()
        except queue.Empty:
            pass
        finally:
            if self._reset_on_next:
                self._timeout = self.ZERO_TIMEOUT
        if isinstance(data, BaseException):
            self._done = True
            if isinstance(data, StopIteration) or not self._raise_on_exception:
                raise StopIteration
            raise data
        return data

    def _lookahead(self):
        try:
            while True:
                data = next(self._iterator)
                self._buffer.put(data)
                if self._interrupt:
                    raise StopIteration()
        except BaseException as error:  # StopIteration ends the stream; gRPC errors too
            self._buffer.put(error)
