;; define-record-type: constructors (all fields or a subset), predicates, accessors,
;; modifiers, records in lists and vectors, records pointing at records (a queue), and a
;; record type defined inside a procedure body.
;; torture: no  (too many allocations for a collection at each; torture-mix.scm covers it small)

(define (show x . xs) (write x) (for-each (lambda (y) (display " ") (write y)) xs) (newline))

(define-record-type <point>
  (make-point x y)
  point?
  (x point-x set-point-x!)
  (y point-y set-point-y!))

(define p (make-point 3 4))
(show (point? p) (point? 5) (point? (cons 1 2)))
(show (point-x p) (point-y p))
(set-point-x! p 10)
(show (point-x p))
(show p)

;; A constructor that sets only some fields; the others start as #f.
(define-record-type cell (make-cell value) cell? (value cell-value set-cell-value!) (next cell-next set-cell-next!))
(define c (make-cell 1))
(show (cell-next c))

;; A FIFO queue of linked cells.
(define-record-type queue (make-queue head tail) queue? (head queue-head set-queue-head!) (tail queue-tail set-queue-tail!))
(define (queue-empty) (make-queue #f #f))
(define (enqueue! q v)
  (let ((cell (make-cell v)))
    (if (queue-tail q) (set-cell-next! (queue-tail q) cell) (set-queue-head! q cell))
    (set-queue-tail! q cell)))
(define (dequeue! q)
  (let ((cell (queue-head q)))
    (set-queue-head! q (cell-next cell))
    (if (not (queue-head q)) (set-queue-tail! q #f))
    (cell-value cell)))
(define q (queue-empty))
(do ((i 0 (+ i 1))) ((= i 100000)) (enqueue! q i) (when (odd? i) (dequeue! q)))
(show (dequeue! q) (dequeue! q))

;; Two types with the same field names are distinct.
(define-record-type a-type (make-a v) a? (v a-v))
(define-record-type b-type (make-b v) b? (v b-v))
(show (a? (make-b 1)) (b? (make-b 1)) (a-v (make-a 'x)))

;; A record type local to a procedure.
(define (pairs-sum n)
  (define-record-type duo (make-duo l r) duo? (l duo-l) (r duo-r))
  (let loop ((i 0) (acc '()))
    (if (= i n)
        (apply + (map (lambda (d) (* (duo-l d) (duo-r d))) acc))
        (loop (+ i 1) (cons (make-duo i (+ i 1)) acc)))))
(show (pairs-sum 100))

(show (map point-x (list (make-point 1 2) (make-point 3 4))))
(show (vector-map point-y (vector (make-point 1 2) (make-point 3 4))))
(show (equal? (make-point 1 2) (make-point 1 2)) (let ((r (make-point 1 2))) (equal? r r)))
