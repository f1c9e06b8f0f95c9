/* ravel classic corpus: reorder_10: reorder.c with NUM_THREADS 10 (see its header). */
#define NUM_THREADS 10
#include "reorder.c"
