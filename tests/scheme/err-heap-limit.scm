;; A program that allocates forever ends with "heap limit exceeded" under --max-heap.
;; args: --max-heap 8M
;; torture: no  (every allocation would collect a growing heap)
;; position: any  (which allocation passes the limit depends on the collector's accounting)
(define (grow acc) (grow (cons (make-vector 10 acc) acc)))
(grow (quote ()))
