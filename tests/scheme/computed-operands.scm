;; Fixnum operations with one operand computed and the other a parameter or a small
;; integer take the computed one from the stack; string-length of a parameter is read in
;; place; (+ a b c) of fixnums is summed inline. Every other case is the primitive's.
(define (describe thunk)
  (guard (e ((error-object? e) (list 'error (error-object-message e))))
    (thunk)))

;; Computed on either side, the other a parameter or a constant.
(define (f x n)
  (list (+ (car x) 1) (- 10 (car x)) (* n (cadr x)) (- (cadr x) n)
        (< (car x) n) (>= n (cadr x)) (= (+ n 0) n)))
(display (f '(3 4) 5))
(newline)
;; As the test of an `if`.
(define (count-below v n)
  (let loop ((i 0) (k 0))
    (if (= i (vector-length v))
        k
        (loop (+ i 1) (if (< (vector-ref v i) n) (+ k 1) k)))))
(display (list (count-below #(1 5 2 8 3) 4) (count-below #(1.5 2.5) 2) (count-below #() 0)))
(newline)
(define (first-above v n)
  (let loop ((i 0))
    (cond ((= i (vector-length v)) #f)
          ((> n (vector-ref v i)) (loop (+ i 1)))
          (else i))))
(display (list (first-above #(1 2 9 3) 5) (first-above #(1 2) 5)))
(newline)
;; A captured parameter as the other operand.
(define (adder k) (lambda (p) (+ (car p) k)))
(display (list ((adder 5) '(1)) ((adder 0.5) '(1)) ((adder 5) '(1.25))))
(newline)
;; Flonums and mixed operands go to the primitive.
(display (list (f '(1.5 2) 3) (f '(3 4) 0.5)))
(newline)
;; Wrong types and overflow are the primitive's errors.
(display (list (describe (lambda () (f '("a" 4) 5)))
               (describe (lambda () (f '(3 x) 5)))
               (describe (lambda () (+ (car '(9223372036854775807)) 1)))
               (describe (lambda () (- -3 (car '(9223372036854775807)))))
               (describe (lambda () (* (car '(9223372036854775807)) 4)))))
(newline)
;; Left to right: the computed operand is evaluated after a parameter on its left was
;; read, and effects come in order.
(define (order x)
  (list (- x (begin (display "b") 1)) (- (begin (display "a") 10) x)))
(display (order 4))
(newline)

;; string-length of a parameter: ASCII, mutable, non-ASCII strings, and not a string.
(define (len s) (string-length s))
(define (digits-sum s)
  (let loop ((i 0) (acc 0))
    (if (= i (string-length s))
        acc
        (loop (+ i 1) (+ acc (- (char->integer (string-ref s i)) 48))))))
(display (list (len "abc") (len (make-string 4 #\x)) (len "héllo") (len "")
               (digits-sum "12345") (digits-sum (string-copy "999"))
               (describe (lambda () (len 'abc)))))
(newline)

;; (+ a b c): fixnums inline, anything else the primitive's fold, left to right.
(define (sum3 a b c) (+ a b c))
(display (list (sum3 1 2 3) (sum3 1 2.5 3) (sum3 -1 0 1)
               (sum3 9223372036854775807 -1 1)
               (describe (lambda () (sum3 9223372036854775807 1 -1)))
               (describe (lambda () (sum3 1 "2" 3)))))
(newline)

;; Rebound operators are called, whatever the operands.
(define (g x n) (list (+ (car x) n) (< (car x) n) (+ n (car x) 1)))
(display (g '(1) 2))
(newline)
(set! + (lambda args (cons 'plus args)))
(define < (lambda (a b) 'less))
(display (g '(1) 2))
(newline)
