/* SPDX-License-Identifier: Apache-2.0 */
int a_x(int n);
int a_y(int n)
{
	return n ? a_x(n - 1) : 1;
}
